import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Writable } from "node:stream";
import { status } from "@grpc/grpc-js";
import { createLogger, type Logger } from "../logger/index.js";
import { recordCall } from "./record-call.js";

/** A debug-level logger whose JSON lines are kept, parsed, in `lines`. */
function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString("utf8").split("\n")) {
        if (text !== "") lines.push(JSON.parse(text) as Record<string, unknown>); // pino writes one JSON object a line
      }
      done();
    },
  });
  return { log: createLogger("debug", sink), lines };
}

describe("recordCall", () => {
  it("logs each outcome at its level, with the fields given, and observes the metric once", () => {
    const observed: [string, string][] = [];
    const metrics = { observe(method: string, code: string) { observed.push([method, code]); } };
    const { log, lines } = capturingLogger();
    const cases: [string, status, string][] = [
      ["RunPodSandbox", status.OK, "info"],
      ["ListContainers", status.OK, "debug"],
      ["ContainerStatus", status.NOT_FOUND, "debug"],
      ["StartContainer", status.NOT_FOUND, "info"],
      ["StartContainer", status.INTERNAL, "error"],
      ["Version", status.UNKNOWN, "error"],
      ["ListImages", status.UNAVAILABLE, "warn"],
      ["PullImage", status.DEADLINE_EXCEEDED, "warn"],
    ];
    for (const [rpc, code] of cases) {
      const record = recordCall(metrics, rpc, log, " (forwarded)");
      record(code, { code: status[code] });
      record(status.INTERNAL, { again: true });
    }
    assert.deepEqual(observed, [
      ["RunPodSandbox", "OK"], ["ListContainers", "OK"], ["ContainerStatus", "NotFound"], ["StartContainer", "NotFound"],
      ["StartContainer", "Internal"], ["Version", "Unknown"], ["ListImages", "Unavailable"], ["PullImage", "DeadlineExceeded"],
    ]);
    assert.equal(lines.length, cases.length, "one line a call, however often it is recorded");
    cases.forEach(([rpc, code, level], i) => {
      const line = lines[i];
      assert.ok(line !== undefined);
      assert.equal(line.level, level, `${rpc} ${status[code]}`);
      assert.equal(line.msg, `${rpc} ${code === status.OK ? "succeeded" : "failed"} (forwarded)`);
      assert.equal(line.code, status[code]);
      assert.equal(typeof line.durationMs, "number");
    });
  });
});
