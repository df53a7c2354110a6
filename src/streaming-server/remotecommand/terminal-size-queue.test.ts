import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TerminalSize } from "../../cri/streaming/streaming-runtime.js";
import { TerminalSizeQueue } from "./terminal-size-queue.js";

async function drain(q: TerminalSizeQueue): Promise<TerminalSize[]> {
  const out: TerminalSize[] = [];
  for await (const s of q) out.push(s);
  return out;
}

describe("TerminalSizeQueue", () => {
  it("parses a JSON sequence split anywhere, keys in any case", async () => {
    const q = new TerminalSizeQueue();
    const text = '{"Width":80,"Height":24}\n{"width":120, "HEIGHT":40}\n  {"Height":1,"Width":2,"Extra":"}"}';
    for (const ch of text) q.write(Buffer.from(ch));
    q.end();
    assert.deepEqual(await drain(q), [{ width: 80, height: 24 }, { width: 120, height: 40 }, { width: 2, height: 1 }]);
  });

  it("stops at a document that is not a size, as the kubelet does", async () => {
    const q = new TerminalSizeQueue();
    q.write(Buffer.from('{"Width":10,"Height":5}[1,2]{"Width":11,"Height":6}'));
    assert.deepEqual(await drain(q), [{ width: 10, height: 5 }]);
    const q2 = new TerminalSizeQueue();
    q2.write(Buffer.from('{"Width":70000,"Height":5}'));
    assert.deepEqual(await drain(q2), []);
  });

  it("hands sizes to a waiting consumer as they come", async () => {
    const q = new TerminalSizeQueue();
    const got = drain(q);
    q.write(Buffer.from('{"Width":3,'));
    await new Promise((r) => setImmediate(r));
    q.write(Buffer.from('"Height":4}'));
    q.end();
    assert.deepEqual(await got, [{ width: 3, height: 4 }]);
  });
});
