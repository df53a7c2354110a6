import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { PullProgress } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import { describeProgress, followPullProgress } from "./pull-progress.js";

function msg(status: string, id = "", progress = ""): PullProgress {
  return { id, status, progress, current: undefined, total: undefined };
}

/**
 * Yields each [delayMs, message] after its delay; stops early when `signal` aborts (like an aborted HTTP
 * body). A delay of 0 yields at once, without a timer: a timer of 0 ms could fire after the watchdog's
 * when the process is descheduled between the two (on a loaded machine), which is not what a message
 * that is already there can do.
 */
async function* scripted(steps: [number, PullProgress][], signal: AbortSignal): AsyncGenerator<PullProgress> {
  for (const [delay, m] of steps) {
    if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) throw new CriError("Canceled", "stream aborted");
    yield m;
  }
}

function capture(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>); // pino writes one JSON object per line
      cb();
    },
  });
  return { log: pino({ level: "debug" }, dest), lines: () => lines };
}

function watch(abort: AbortController, log: pino.Logger, deadline: number, logInterval = 10_000) {
  return { image: "r/x:1", progressDeadlineMs: deadline, logIntervalMs: logInterval, log, cancel: (reason: CriError) => { abort.abort(reason); } };
}

describe("followPullProgress", () => {
  it("reads the stream to its end and reports the last message", async () => {
    const ac = new AbortController();
    const { log } = capture();
    const out = await followPullProgress(scripted([[0, msg("Pulling from x", "1")], [5, msg("Downloading", "abc", "[=> ] 1kB/2kB")], [5, msg("Status: Downloaded newer image for r/x:1")]], ac.signal), watch(ac, log, 1000));
    assert.equal(out.messages, 3);
    assert.equal(out.last, "Status: Downloaded newer image for r/x:1");
    assert.equal(ac.signal.aborted, false);
  });

  it("cancels a pull that sends nothing for the deadline, naming the image and the last progress", async () => {
    const ac = new AbortController();
    const { log, lines } = capture();
    const started = performance.now();
    await assert.rejects(
      followPullProgress(scripted([[0, msg("Downloading", "abc", "[=> ] 1kB/2kB")], [5_000, msg("Pull complete", "abc")]], ac.signal), watch(ac, log, 150)),
      (err: unknown) => hasKind(err, "DeadlineExceeded") && err.message.includes('"r/x:1"') && err.message.includes("Downloading abc: [=> ] 1kB/2kB") && err.message.includes("150ms"),
    );
    assert.ok(performance.now() - started < 2_000, "cancelled by the deadline, not by the stream");
    assert.ok(ac.signal.aborted);
    assert.ok(lines().some((l) => l.msg === "Canceling image pull: no progress"));
  });

  it("keeps a pull alive while messages keep coming, even past the deadline in total", async () => {
    const ac = new AbortController();
    const { log } = capture();
    const steps: [number, PullProgress][] = Array.from({ length: 8 }, (_, i) => [60, msg("Downloading", "abc", `${i}`)]);
    const out = await followPullProgress(scripted(steps, ac.signal), watch(ac, log, 150));
    assert.equal(out.messages, 8);
  });

  it("does not count a silent extracting phase as stalled", async () => {
    const ac = new AbortController();
    const { log } = capture();
    const out = await followPullProgress(
      scripted([[0, msg("Extracting", "abc", "[=> ]")], [500, msg("Pull complete", "abc")], [0, msg("Status: done")]], ac.signal),
      watch(ac, log, 100),
    );
    assert.equal(out.messages, 3);
    assert.equal(ac.signal.aborted, false);
  });

  it("reads what arrived while this process was starved before it calls the pull stalled", async () => {
    // Docker's messages come over a socket. A message sent while this process got no CPU (a loaded
    // node) waits in the socket, and in the next turn of the event loop timers run before I/O: the
    // watchdog, due meanwhile, must not decide from the silence it saw before reading that message.
    // The starvation is played by blocking the loop in a check-phase callback, as a descheduled
    // process is held anywhere in its loop.
    const dir = await mkdtemp(join(tmpdir(), "pull-progress-"));
    const server = createServer();
    await new Promise<void>((res) => server.listen(join(dir, "docker.sock"), res));
    const accepted = once(server, "connection") as Promise<[Socket]>; // "connection" passes the accepted socket
    const docker = connect(join(dir, "docker.sock"));
    await once(docker, "connect");
    const [peer] = await accepted;
    const starve = (): void => {
      docker.end("2\n3\n");
      const until = performance.now() + 600;
      while (performance.now() < until) {
        // held off the CPU for twice the deadline, with the pull's last messages in the socket
      }
    };
    async function* fromSocket(): AsyncGenerator<PullProgress> {
      for await (const chunk of peer) {
        for (const line of String(chunk).split("\n").filter((l) => l !== "")) {
          if (line === "1") setImmediate(starve);
          yield msg("Downloading", "abc", line);
        }
      }
    }
    try {
      const ac = new AbortController();
      const { log } = capture();
      docker.write("1\n");
      const out = await followPullProgress(fromSocket(), watch(ac, log, 300));
      assert.equal(out.messages, 3);
      assert.equal(out.last, "Downloading abc: 3");
      assert.equal(ac.signal.aborted, false);
    } finally {
      docker.destroy();
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("stalls again once extraction is over and the next layer hangs", async () => {
    const ac = new AbortController();
    const { log } = capture();
    await assert.rejects(
      followPullProgress(scripted([[0, msg("Extracting", "l1")], [250, msg("Pull complete", "l1")], [5_000, msg("Pull complete", "l2")]], ac.signal), watch(ac, log, 100)),
      (err: unknown) => hasKind(err, "DeadlineExceeded") && err.message.includes("Pull complete l1"),
    );
  });

  it("logs the latest progress at each interval", async () => {
    const ac = new AbortController();
    const { log, lines } = capture();
    const progressLines = () => lines().filter((l) => l.msg === "Pulling image");
    // The pull ends once two intervals have logged, however long a loaded machine takes to get there.
    async function* twoIntervals(): AsyncGenerator<PullProgress> {
      yield msg("Downloading", "abc", "[=> ]");
      while (progressLines().length < 2) await sleep(20);
      yield msg("Pull complete", "abc");
    }
    await followPullProgress(twoIntervals(), watch(ac, log, 5_000, 60));
    const progress = progressLines();
    assert.ok(progress.length >= 2, `expected progress lines, got ${progress.length}`);
    assert.equal(progress[0]?.progress, "Downloading abc: [=> ]");
  });

  it("never cancels with a zero deadline", async () => {
    const ac = new AbortController();
    const { log } = capture();
    const out = await followPullProgress(scripted([[0, msg("Downloading", "abc")], [200, msg("Pull complete", "abc")]], ac.signal), watch(ac, log, 0));
    assert.equal(out.messages, 2);
    assert.equal(ac.signal.aborted, false);
  });

  it("passes the stream's own error through", async () => {
    const ac = new AbortController();
    const { log } = capture();
    async function* failing(): AsyncGenerator<PullProgress> {
      yield await Promise.resolve(msg("Pulling fs layer", "abc"));
      throw new CriError("NotFound", "manifest unknown");
    }
    await assert.rejects(followPullProgress(failing(), watch(ac, log, 1000)), (e: unknown) => hasKind(e, "NotFound"));
  });

  it("describes messages with and without a layer", () => {
    assert.equal(describeProgress(msg("Status: x")), "Status: x");
    assert.equal(describeProgress(msg("Pull complete", "abc")), "Pull complete abc");
    assert.equal(describeProgress(msg("Downloading", "abc", "[=>]")), "Downloading abc: [=>]");
  });
});
