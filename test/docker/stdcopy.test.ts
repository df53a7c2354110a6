import assert from "node:assert/strict";
import { PassThrough, Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import { StdFrameParser, demuxStream } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";

function frame(stream: number, payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** A writable that collects what it is given. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe("StdFrameParser", () => {
  it("reassembles frames split at every possible byte", () => {
    const wire = Buffer.concat([frame(1, "hello "), frame(2, "oops"), frame(1, "world"), frame(0, "in")]);
    for (let cut = 1; cut < wire.length; cut++) {
      const parser = new StdFrameParser();
      const frames = [...parser.push(wire.subarray(0, cut)), ...parser.push(wire.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.stream, f.payload.toString()]),
        [[1, "hello "], [2, "oops"], [1, "world"], [0, "in"]],
        `cut at ${cut}`,
      );
      assert.equal(parser.pendingBytes, 0);
    }
  });

  it("keeps an incomplete frame pending and handles empty and large payloads", () => {
    const parser = new StdFrameParser();
    const big = Buffer.alloc(70_000, 0x61);
    const wire = Buffer.concat([frame(1, ""), frame(2, big)]);
    const first = parser.push(wire.subarray(0, 20));
    assert.deepEqual(first.map((f) => f.payload.length), [0]);
    assert.equal(parser.pendingBytes, 12);
    const rest = parser.push(wire.subarray(20));
    const [only, ...others] = rest;
    assert.ok(only !== undefined && others.length === 0);
    assert.equal(only.stream, 2);
    assert.ok(only.payload.equals(big));
  });

  it("rejects an unknown stream id", () => {
    assert.throws(() => new StdFrameParser().push(frame(7, "x")), (err: unknown) => err instanceof CriError && err.kind === "Internal" && /stream id 7/.test(err.message));
  });
});

describe("demuxStream", () => {
  it("routes stdout, stderr and stdin frames across split chunks", async () => {
    const wire = Buffer.concat([frame(1, "out1\n"), frame(2, "err1\n"), frame(0, "in\n"), frame(1, "out2\n")]);
    // Chunks of 3 bytes split headers and payloads alike.
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 3) chunks.push(wire.subarray(i, i + 3));
    const out = sink();
    const err = sink();
    await demuxStream(Readable.from(chunks), out.stream, err.stream);
    assert.equal(out.text(), "out1\nin\nout2\n");
    assert.equal(err.text(), "err1\n");
  });

  it("drops output for a null destination", async () => {
    const out = sink();
    await demuxStream(Readable.from([Buffer.concat([frame(1, "a"), frame(2, "b")])]), out.stream, null);
    assert.equal(out.text(), "a");
  });

  it("fails with the daemon's text on a system-error frame", async () => {
    const out = sink();
    await assert.rejects(
      demuxStream(Readable.from([Buffer.concat([frame(1, "a"), frame(3, "exec failed")])]), out.stream, null),
      (e: unknown) => e instanceof CriError && e.message === "Error from daemon in stream: exec failed",
    );
    assert.equal(out.text(), "a");
  });

  it("ignores a truncated last frame like Go's stdcopy", async () => {
    const out = sink();
    const wire = Buffer.concat([frame(1, "whole"), frame(1, "cut off").subarray(0, 10)]);
    await demuxStream(Readable.from([wire]), out.stream, null);
    assert.equal(out.text(), "whole");
  });

  it("waits for a slow destination instead of buffering without bound", async () => {
    const slow = new PassThrough({ highWaterMark: 4 });
    const wire = Buffer.concat([frame(1, "0123456789"), frame(1, "abcdefghij")]);
    const done = demuxStream(Readable.from([wire]), slow, null);
    // Nothing reads `slow` yet: demux must be parked on drain, not finished.
    const raced = await Promise.race([done.then(() => "done"), new Promise((r) => setTimeout(r, 50, "waiting"))]);
    assert.equal(raced, "waiting");
    const read: Buffer[] = [];
    slow.on("data", (c: Buffer) => read.push(c));
    await done;
    assert.equal(Buffer.concat(read).toString(), "0123456789abcdefghij");
  });

  it("stops when the destination closes while it waits for drain", async () => {
    const slow = new PassThrough({ highWaterMark: 4 });
    const wire = Buffer.concat([frame(1, "0123456789"), frame(1, "abcdefghij")]);
    const done = demuxStream(Readable.from([wire]), slow, null);
    setTimeout(() => slow.destroy(), 20);
    await assert.rejects(done, (e: unknown) => e instanceof CriError && e.kind === "Canceled");
  });
});
