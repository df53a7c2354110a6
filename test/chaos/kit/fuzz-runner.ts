/**
 * Runs fuzz cases against a FuzzFixture and judges each answer: a gRPC status of the classes bad input
 * may get (never Internal or Unknown, never a dropped connection), with a message; the daemon keeps
 * answering Version and its memory stays bounded. Whatever a successful call created is removed at
 * once through CRI, so a long run does not pile up sandboxes.
 */
import { readFile } from "node:fs/promises";
import { fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { ImageService, RuntimeService } from "../../../src/gen/index.js";
import type { FuzzCase } from "./fuzz-cases.js";
import type { FuzzFixture } from "../../kit/fuzz-fixture.js";
import { codeName, rawCaller, type CallOutcome } from "../../kit/raw-call.js";

/** Codes a bad request may get. OK too: many mutations are still valid requests. */
const clientCodes: ReadonlySet<status> = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.UNIMPLEMENTED,
  status.ALREADY_EXISTS,
  status.OUT_OF_RANGE,
]);

/** The boundary cuts messages at 4,096 characters and says how many it left out. */
const maxDetailsChars = 4096 + 40;

/** Extra codes some methods may give by design. */
function allowedFor(method: DescMethod, outcome: CallOutcome): boolean {
  const code = outcome.code;
  if (clientCodes.has(code)) return true;
  const r = RuntimeService.method;
  // More outstanding streaming URLs than the token cache holds: the documented limit, not a failure.
  if (code === status.RESOURCE_EXHAUSTED && (method === r.exec || method === r.attach || method === r.portForward)) return true;
  // GetContainerEvents never ends on its own: the fuzz call's own deadline ends it.
  if (code === status.DEADLINE_EXCEEDED && method === r.getContainerEvents) return true;
  // An ExecSync case with timeout = 1 is a valid request: on a loaded machine even `true` can outlive
  // one second after the exec started, and DeadlineExceeded with the command killed is the contract's
  // answer then (a CI run of 10,000 cases saw it once). Only that answer: any other DeadlineExceeded is not.
  if (code === status.DEADLINE_EXCEEDED && method === r.execSync && /^Command .* timed out after \d+s; it was killed$/.test(outcome.details)) return true;
  return false;
}

/**
 * A pull that gets past validation reaches the fixture's closed registry port, or a registry on the
 * internet this machine does not have: Docker answers 500 with the dial error, which docker-cri passes
 * on as Internal (docs/images.md). That is the registry being unreachable, not the input being bad.
 */
function unreachableRegistry(method: DescMethod, outcome: CallOutcome): boolean {
  return method === ImageService.method.pullImage && (outcome.code === status.INTERNAL || outcome.code === status.UNAVAILABLE) && /dial tcp|no such host|connection refused/.test(outcome.details);
}

export interface Violation {
  readonly method: string;
  readonly label: string;
  readonly code: string;
  readonly details: string;
}

export interface FuzzReport {
  readonly cases: number;
  readonly byCode: Record<string, number>;
  readonly byKind: Record<string, number>;
  readonly timeByMethod: Record<string, number>;
  readonly violations: Violation[];
  /** Things created by successful calls (and removed again). */
  readonly created: number;
  readonly rssKiB: { readonly before: number; readonly max: number; readonly after: number };
  readonly seconds: number;
}

export async function rssKiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(text);
  return m === null ? 0 : Number(m[1]);
}

function deadlineFor(method: DescMethod): number {
  return method === RuntimeService.method.getContainerEvents ? 300 : 60_000;
}

/** Removes what a successful RunPodSandbox or CreateContainer made, and remembers its id. */
async function reap(fx: FuzzFixture, method: DescMethod, outcome: CallOutcome): Promise<number> {
  const reply = outcome.replies[0];
  if (outcome.code !== status.OK || reply === undefined) return 0;
  const r = RuntimeService.method;
  if (method === r.runPodSandbox) {
    const id = fromBinary(r.runPodSandbox.output, reply).podSandboxId;
    if (id === fx.sandboxId || id === fx.victimSandboxId) return 0;
    fx.known.add(id);
    await fx.cri.call(r.removePodSandbox, { podSandboxId: id });
    return 1;
  }
  if (method === r.createContainer) {
    const id = fromBinary(r.createContainer.output, reply).containerId;
    fx.known.add(id);
    await fx.cri.call(r.removeContainer, { containerId: id });
    return 1;
  }
  return 0;
}

export async function runFuzz(fx: FuzzFixture, cases: readonly FuzzCase[], opts: { concurrency: number; onProgress?: (done: number) => void; trace?: (c: FuzzCase) => void }): Promise<FuzzReport> {
  const started = Date.now();
  const pid = fx.daemon.proc.pid ?? 0;
  const caller = rawCaller(fx.daemon.socketPath);
  const byCode: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  /** Seconds spent per method, for the report. */
  const timeByMethod: Record<string, number> = {};
  const violations: Violation[] = [];
  const before = await rssKiB(pid);
  let max = before;
  let created = 0;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const c = cases[next++];
      if (c === undefined) return;
      opts.trace?.(c);
      const callStarted = performance.now();
      const outcome = await caller.call(c.method, c.build(), { deadlineMs: deadlineFor(c.method) });
      timeByMethod[c.method.name] = (timeByMethod[c.method.name] ?? 0) + (performance.now() - callStarted) / 1000;
      const name = codeName(outcome.code);
      byCode[name] = (byCode[name] ?? 0) + 1;
      byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
      if (!allowedFor(c.method, outcome) && !unreachableRegistry(c.method, outcome)) {
        violations.push({ method: c.method.name, label: c.label, code: name, details: outcome.details.slice(0, 500) });
      } else if (outcome.code !== status.OK && outcome.details.trim() === "") {
        violations.push({ method: c.method.name, label: c.label, code: name, details: "(no message)" });
      } else if (outcome.details.length > maxDetailsChars) {
        violations.push({ method: c.method.name, label: c.label, code: name, details: `message of ${outcome.details.length} characters` });
      }
      created += await reap(fx, c.method, outcome);
      done++;
      if (done % 250 === 0) {
        opts.onProgress?.(done);
        // Still serving, and memory bounded, every 250 cases.
        const v = await caller.call(RuntimeService.method.version, new Uint8Array(0), { deadlineMs: 10_000 });
        if (v.code !== status.OK) violations.push({ method: "Version", label: `after ${done} cases`, code: codeName(v.code), details: v.details });
        max = Math.max(max, await rssKiB(pid));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  } finally {
    caller.close();
  }
  const after = await rssKiB(pid);
  return { cases: cases.length, byCode, byKind, timeByMethod, violations, created, rssKiB: { before, max: Math.max(max, after), after }, seconds: (Date.now() - started) / 1000 };
}

/** Violations grouped by method and code, with up to three examples each: the readable failure message. */
export function describeViolations(violations: readonly Violation[]): string {
  const groups = new Map<string, Violation[]>();
  for (const v of violations) {
    const key = `${v.method} ${v.code}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  return [...groups]
    .map(([key, vs]) => `${key} ×${vs.length}\n${vs.slice(0, 3).map((v) => `    ${v.label}: ${v.details}`).join("\n")}`)
    .join("\n");
}
