/**
 * The copier on real Docker output: busybox containers created and started directly through the
 * Docker API (no docker-cri involved), the manager following their json-file `LogPath`. One
 * container writes to stdout and stderr, a 20 000-byte line (which Docker cuts at 16 KiB) and a
 * last line without newline; another writes 1 500 numbered lines over about a second under
 * `max-size=10k`, so that Docker rotates its file about ten times while the copier follows.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "../../src/container-logs/index.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE, ensureTestImages } from "../kit/images.js";
import { parseCriFile, type CriLine } from "./log-kit.js";

const runId = randomBytes(4).toString("hex");
const labelKey = "io.docker-cri.test.logs-e2e";

/** Creates and starts a busybox container running `script`; returns its id and json-file LogPath. */
async function runBusybox(name: string, script: string, logConfig?: Record<string, string>): Promise<{ id: string; logPath: string }> {
  const created = await dockerJson({
    method: "POST",
    path: "/containers/create",
    query: { name: `docker-cri-logs-e2e-${runId}-${name}` },
    body: {
      Image: BUSYBOX_IMAGE,
      Cmd: ["sh", "-c", script],
      Labels: { [labelKey]: runId },
      HostConfig: { NetworkMode: "none", LogConfig: { Type: "json-file", Config: logConfig ?? {} } },
    },
  });
  assert.ok(isRecord(created) && typeof created.Id === "string");
  const id = created.Id;
  await dockerJson({ method: "POST", path: `/containers/${id}/start` });
  const inspected = await dockerJson({ method: "GET", path: `/containers/${id}/json` });
  assert.ok(isRecord(inspected) && typeof inspected.LogPath === "string" && inspected.LogPath !== "", "json-file LogPath");
  return { id, logPath: inspected.LogPath };
}

async function waitExit(id: string): Promise<void> {
  const res = await dockerJson({ method: "POST", path: `/containers/${id}/wait`, timeoutMs: 60_000 });
  assert.ok(isRecord(res) && res.StatusCode === 0, `container exited with ${JSON.stringify(res)}`);
}

/** Messages as the kubelet rebuilds them: P lines joined with what follows until an F line. */
function messages(lines: readonly CriLine[], stream: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const l of lines) {
    if (l.stream !== stream) continue;
    pending += l.content;
    if (l.tag === "F") {
      out.push(pending);
      pending = "";
    }
  }
  if (pending !== "") out.push(`${pending}<partial>`);
  return out;
}

describe("container logs of real Docker containers", () => {
  let dir: string;
  let manager: ContainerLogManagerHandle;

  before(async () => {
    await ensureTestImages();
    dir = await mkdtemp(join(tmpdir(), "docker-cri-logs-e2e-"));
    manager = createContainerLogManager({ stateDir: join(dir, "state"), log: silentLogger() });
  });
  after(async () => {
    await manager.close();
    const mine = await dockerJson({ method: "GET", path: "/containers/json", query: { all: true, filters: JSON.stringify({ label: [`${labelKey}=${runId}`] }) } });
    for (const c of Array.isArray(mine) ? mine : []) {
      if (isRecord(c) && typeof c.Id === "string") await dockerJson({ method: "DELETE", path: `/containers/${c.Id}`, query: { force: true, v: true } });
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("writes stdout and stderr in CRI format with Docker's times, 16 KiB partials and a final partial line", async () => {
    const script = [
      "echo out-1",
      "echo err-1 >&2",
      "head -c 20000 /dev/zero | tr '\\0' a; echo",
      "sleep 0.2",
      "echo out-2",
      "echo err-2 >&2",
      "printf no-newline-at-exit",
    ].join("; ");
    const c = await runBusybox("format", script);
    const criPath = join(dir, "pods", "ns_format_uid", "ctr", "0.log");
    await manager.start(c.id, c.logPath, criPath);
    await waitExit(c.id);
    await manager.stop(c.id);

    const lines = parseCriFile(await readFile(criPath, "utf8"));
    assert.deepEqual(messages(lines, "stdout"), ["out-1", "a".repeat(20_000), "out-2", "no-newline-at-exit<partial>"]);
    assert.deepEqual(messages(lines, "stderr"), ["err-1", "err-2"]);
    const long = lines.filter((l) => l.content.startsWith("aaa"));
    assert.deepEqual(long.map((l) => [l.tag, l.content.length]), [["P", 16384], ["F", 20_000 - 16384]], "Docker's 16 KiB cut kept as P then F");

    // The same entries as Docker's own file, time for time.
    // Docker's json-file lines always carry string `time` and `stream`; a wrong guess fails the comparison.
    const docker = (await readFile(c.logPath, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { time: string; stream: string });
    assert.deepEqual(lines.map((l) => `${l.time} ${l.stream}`), docker.map((d) => `${d.time} ${d.stream}`));
    await manager.forget(c.id);
  });

  it("follows Docker's own rotation (max-size=10k) without losing or repeating a line", async () => {
    const c = await runBusybox("rotate", "i=0; while [ $i -lt 1500 ]; do echo line-$i; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.05; done; true", { "max-size": "10k", "max-file": "20" });
    const criPath = join(dir, "pods", "ns_rotate_uid", "ctr", "0.log");
    await manager.start(c.id, c.logPath, criPath);
    await waitExit(c.id);
    await manager.stop(c.id);
    const lines = parseCriFile(await readFile(criPath, "utf8"));
    assert.deepEqual(lines.map((l) => l.content), Array.from({ length: 1500 }, (_, i) => `line-${i}`));
    assert.ok(lines.every((l) => l.stream === "stdout" && l.tag === "F"));
    const rotated = await readFile(`${c.logPath}.1`, "utf8").then(() => true, () => false);
    assert.ok(rotated, "Docker did rotate the file");
    await manager.forget(c.id);
  });
});
