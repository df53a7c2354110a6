import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ControlType, dataFrameHeader, goawayFrame, parseIdAndStatus, pingFrame, rstStreamFrame, SpdyFrameParser, synReplyFrame } from "./spdy-frame.js";

describe("SPDY frames", () => {
  it("parses frames split at every byte boundary", () => {
    const payload = Buffer.from("hello");
    const bytes = Buffer.concat([dataFrameHeader(7, 1, payload.length), payload, pingFrame(5), goawayFrame(9, 0)]);
    const parser = new SpdyFrameParser();
    const frames = [];
    for (const b of bytes) frames.push(...parser.push(Buffer.from([b])));
    assert.equal(parser.pendingBytes, 0);
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[0], { kind: "data", streamId: 7, flags: 1, data: payload });
    const ping = frames[1];
    assert.ok(ping?.kind === "control");
    assert.equal(ping.type, ControlType.ping);
    assert.equal(ping.payload.readUInt32BE(0), 5);
    const goaway = frames[2];
    assert.ok(goaway?.kind === "control");
    assert.deepEqual(parseIdAndStatus(goaway.payload, "GOAWAY"), { id: 9, status: 0 });
  });

  it("writes control frames with version 3 and the right lengths", () => {
    const rst = rstStreamFrame(3, 5);
    assert.deepEqual([...rst.subarray(0, 8)], [0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08]);
    const reply = synReplyFrame(1, 0, Buffer.from([1, 2, 3]));
    assert.equal(reply.readUInt32BE(4) & 0xffffff, 7);
    assert.equal(reply.readUInt32BE(8), 1);
  });

  it("rejects a control frame of another SPDY version", () => {
    const bad = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
    assert.throws(() => new SpdyFrameParser().push(bad), /version 2/);
  });
});
