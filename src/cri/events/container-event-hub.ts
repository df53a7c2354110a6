import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import { ContainerEventType, type ContainerEventResponseSchema, type ContainerStatusSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { ContainerChange, StateCache } from "../../state-cache/index.js";
import { containerTypeContainer, containerTypeLabel, containerTypeSandbox, sandboxIdLabel } from "../translate/index.js";
import { EventLog } from "./event-log.js";
import { sandboxStatusOf, type SandboxStatusShape } from "../sandbox/to-sandbox-status.js";
import { orphanSandboxStatus } from "./sandbox-status-of.js";

export type ContainerEventShape = MessageInitShape<typeof ContainerEventResponseSchema>;
export type ContainerStatusShape = MessageInitShape<typeof ContainerStatusSchema>;

export interface ContainerEventHubDeps {
  readonly cache: Pick<StateCache, "onChange" | "peekAll">;
  readonly log: Logger;
  /** An app container's CRI status, as ContainerStatus reports it. */
  readonly containerStatus: (c: ContainerInspect, signal: AbortSignal) => Promise<ContainerStatusShape>;
  /** The pod IPs a network plugin gave a sandbox (its checkpoint's); undefined with Docker's own network. */
  readonly podIps: (sandbox: ContainerInspect) => Promise<readonly string[] | undefined>;
  /** Events kept for replay and for slow subscribers (default 1024). */
  readonly historySize?: number;
  /** A new subscriber first receives the kept events of this many last milliseconds (default 5 min). */
  readonly replayWindowMs?: number;
  /** Bound on building one event's statuses. */
  readonly buildTimeoutMs: number;
}

/** Docker's actions that are CRI container events; the others (oom, update, rename, …) only refresh the cache. */
const eventTypes: Readonly<Partial<Record<ContainerChange["action"], ContainerEventType>>> = {
  create: ContainerEventType.CONTAINER_CREATED_EVENT,
  start: ContainerEventType.CONTAINER_STARTED_EVENT,
  die: ContainerEventType.CONTAINER_STOPPED_EVENT,
  destroy: ContainerEventType.CONTAINER_DELETED_EVENT,
};

/**
 * The source of GetContainerEvents: every change of the state cache that is a CRI container event
 * (for app containers and, as containerd reports them too, for sandboxes), with the pod's sandbox
 * status and its containers' statuses as they were right after the change — what the kubelet's
 * evented PLEG puts in its pod cache (it orders by created_at and drops events without sandbox
 * metadata).
 *
 * Events go into one bounded log that every subscriber reads at its own pace (see EventLog): a slow
 * or stuck subscriber never delays the others and is cut off once it has missed events. A new
 * subscriber is first sent the events of the last few minutes, so one that lost its stream and
 * reconnects misses nothing the log still holds (the kubelet ignores what it has already seen:
 * its cache keeps the newest status by timestamp).
 */
export class ContainerEventHub {
  readonly #deps: ContainerEventHubDeps;
  readonly #log: EventLog<ContainerEventShape>;
  readonly #abort = new AbortController();
  #building: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;

  constructor(deps: ContainerEventHubDeps) {
    this.#deps = deps;
    this.#log = new EventLog(deps.historySize ?? 1024);
  }

  start(): void {
    this.#unsubscribe ??= this.#deps.cache.onChange((change) => {
      this.#onChange(change);
    });
  }

  /** Ends every subscription (their streams complete normally) and stops listening. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#abort.abort();
    this.#log.close();
    await this.#building;
  }

  /** The kept events of the replay window, then live ones, until `signal` aborts or the hub stops. */
  subscribe(signal: AbortSignal): AsyncIterable<ContainerEventShape> {
    const from = this.#log.firstSince(Date.now() - (this.#deps.replayWindowMs ?? 5 * 60_000));
    return this.#log.read(from, signal, "A GetContainerEvents subscriber");
  }

  /** Events appended so far (for tests and metrics). */
  get appended(): number {
    return this.#log.next;
  }

  #onChange(change: ContainerChange): void {
    const type = eventTypes[change.action];
    const subject = change.current ?? change.previous;
    if (type === undefined || subject === undefined) return;
    const kind = subject.config.labels[containerTypeLabel];
    const sandboxId = kind === containerTypeSandbox ? subject.id : subject.config.labels[sandboxIdLabel];
    if (sandboxId === undefined || sandboxId === "") return;
    // The pod exactly as the cache holds it right after this change; building the statuses is
    // asynchronous, and by then the cache may have moved on.
    const all = this.#deps.cache.peekAll();
    const sandboxGone = kind === containerTypeSandbox && change.current === undefined;
    const sandbox = kind === containerTypeSandbox ? subject : all.find((c) => c.id === sandboxId);
    const members = all.filter((c) => c.config.labels[containerTypeLabel] === containerTypeContainer && c.config.labels[sandboxIdLabel] === sandboxId);
    const job = { type, change, subject, sandboxId, sandbox, sandboxGone, members };
    // One at a time, so that the log keeps the cache's order.
    this.#building = this.#building
      .then(async () => {
        const event = await this.#build(job);
        if (event !== undefined) this.#log.append(event);
      })
      .catch((err: unknown) => {
        this.#deps.log.warn({ err, containerId: subject.id, action: change.action }, "Cannot build a container event");
      });
  }

  async #build(job: {
    type: ContainerEventType;
    change: ContainerChange;
    subject: ContainerInspect;
    sandboxId: string;
    sandbox: ContainerInspect | undefined;
    sandboxGone: boolean;
    members: ContainerInspect[];
  }): Promise<ContainerEventShape | undefined> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#deps.buildTimeoutMs)]);
    let podSandboxStatus: SandboxStatusShape | undefined;
    if (job.sandbox !== undefined) {
      const ips = job.sandboxGone ? undefined : await this.#deps.podIps(job.sandbox).catch(() => undefined);
      podSandboxStatus = sandboxStatusOf(job.sandbox, ips, job.sandboxGone);
    } else if (job.subject.config.labels[containerTypeLabel] === containerTypeContainer) {
      podSandboxStatus = orphanSandboxStatus(job.sandboxId, job.subject);
    }
    if (podSandboxStatus === undefined) {
      this.#deps.log.debug({ containerId: job.subject.id, sandboxId: job.sandboxId }, "Dropping a container event whose pod is unknown");
      return undefined;
    }
    const statuses = await Promise.all(
      job.members.map((c) =>
        this.#deps.containerStatus(c, signal).catch((err: unknown) => {
          this.#deps.log.debug({ err, containerId: c.id }, "Leaving a container out of an event's statuses");
          return undefined;
        }),
      ),
    );
    return {
      containerId: job.subject.id,
      containerEventType: job.type,
      createdAt: job.change.timeNano,
      podSandboxStatus,
      containersStatuses: statuses.filter((s) => s !== undefined),
    };
  }
}
