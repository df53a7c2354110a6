import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { constants, createDeflate, createInflate, inflateSync } from "node:zlib";
import { adler32, HeaderCompressor, HeaderDecompressor } from "./header-compression.js";
import { decodeHeaderBlock, encodeHeaderBlock } from "./header-block.js";
import { spdyDictionary } from "./spdy-dictionary.js";

/** Compresses blocks the way a real peer (Go's zlib.Writer + Flush) does: one deflate stream, sync flush per block. */
async function peerCompress(blocks: Buffer[]): Promise<Buffer[]> {
  const deflate = createDeflate({ dictionary: spdyDictionary, level: 6 });
  const out: Buffer[] = [];
  let current: Buffer[] = [];
  deflate.on("data", (c: Buffer) => current.push(c));
  for (const b of blocks) {
    deflate.write(b);
    await new Promise<void>((r) => { deflate.flush(constants.Z_SYNC_FLUSH, r); });
    await new Promise<void>((r) => setImmediate(r));
    out.push(Buffer.concat(current));
    current = [];
  }
  deflate.destroy();
  return out;
}

describe("SPDY header compression", () => {
  it("has the dictionary of the SPDY/3 spec", () => {
    assert.equal(spdyDictionary.length, 1423);
    assert.equal(createHash("sha256").update(spdyDictionary).digest("hex"), "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02");
  });

  it("computes Adler-32 like RFC 1950", () => {
    assert.equal(adler32(Buffer.from("Wikipedia")), 0x11e60398);
  });

  it("writes one zlib stream whose every block ends in a sync flush and inflates piece by piece", async () => {
    const c = new HeaderCompressor();
    const blocks = [encodeHeaderBlock({}), encodeHeaderBlock({ streamtype: "error" }), Buffer.alloc(70_000, 7), encodeHeaderBlock({ a: ["1", "2"] })];
    const pieces = blocks.map((b) => c.compress(b));
    const first = pieces[0];
    assert.ok(first !== undefined);
    assert.equal(first.readUInt8(0), 0x78);
    assert.equal(first.readUInt16BE(0) % 31, 0, "valid zlib header check");
    assert.ok((first.readUInt8(1) & 0x20) !== 0, "FDICT set");
    for (const p of pieces) assert.deepEqual([...p.subarray(p.length - 5)], [0, 0, 0, 0xff, 0xff]);
    // A persistent inflater fed piece by piece must hand out exactly each block after each piece.
    const inflate = createInflate({ dictionary: spdyDictionary });
    const got: Buffer[] = [];
    inflate.on("data", (d: Buffer) => got.push(d));
    for (const [i, p] of pieces.entries()) {
      inflate.write(p);
      await new Promise<void>((r) => { inflate.flush(constants.Z_SYNC_FLUSH, r); });
      await new Promise<void>((r) => setImmediate(r));
      assert.deepEqual(Buffer.concat(got.splice(0)), blocks[i]);
    }
    inflate.destroy();
    // And the whole stream so far is a valid zlib prefix.
    assert.deepEqual(inflateSync(Buffer.concat(pieces), { dictionary: spdyDictionary, finishFlush: constants.Z_SYNC_FLUSH }), Buffer.concat(blocks));
  });

  it("decompresses a real deflate peer's blocks in order, across many frames and large blocks", async () => {
    const blocks: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const big = i % 37 === 0;
      blocks.push(big ? Buffer.concat([encodeHeaderBlock({ streamtype: "data", port: String(i) }), randomBytes(40_000)]) : encodeHeaderBlock({ streamtype: i % 2 === 0 ? "error" : "data", port: "8080", requestid: String(i) }));
    }
    const compressed = await peerCompress(blocks);
    const d = new HeaderDecompressor();
    for (const [i, piece] of compressed.entries()) {
      assert.deepEqual(await d.decompress(piece), blocks[i], `block ${i}`);
    }
    d.close();
  });

  it("fails on garbage instead of hanging", async () => {
    const d = new HeaderDecompressor();
    await assert.rejects(d.decompress(Buffer.from("definitely not zlib")), /Invalid SPDY header compression/);
    d.close();
  });

  it("round-trips header blocks with lowercased names and NUL-joined values", () => {
    const h = decodeHeaderBlock(encodeHeaderBlock({ StreamType: "stdout", multi: ["a", "b"] }));
    assert.deepEqual(h.get("streamtype"), ["stdout"]);
    assert.deepEqual(h.get("multi"), ["a", "b"]);
    assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 1])), /Invalid SPDY header block/);
  });
});
