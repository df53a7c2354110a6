/**
 * The SPDY/3 name/value header block before compression: uint32 pair count, then per pair uint32
 * name length, name, uint32 value length, value; several values of one name are joined with NUL.
 * spdystream lowercases names when writing and flags upper-case ones when reading; we lowercase on
 * both sides. Kubernetes sends no `:method`/`:path` pseudo-headers, only `streamtype`, `port`,
 * `requestid`.
 */
import { CriError } from "../../errors/index.js";

export type HeaderMap = ReadonlyMap<string, readonly string[]>;

/** A block bigger than this (after decompression) is refused: Kubernetes' blocks are a few dozen bytes. */
export const maxHeaderBlockBytes = 256 * 1024;

export function encodeHeaderBlock(headers: Readonly<Record<string, string | readonly string[]>>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(typeof value === "string" ? value : value.join("\0"), "utf8");
    const nl = Buffer.alloc(4);
    nl.writeUInt32BE(n.length);
    const vl = Buffer.alloc(4);
    vl.writeUInt32BE(v.length);
    parts.push(nl, n, vl, v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const out = new Map<string, string[]>();
  if (block.length === 0) return out;
  let off = 0;
  const u32 = (what: string): number => {
    if (off + 4 > block.length) throw invalid(`truncated ${what}`);
    const v = block.readUInt32BE(off);
    off += 4;
    return v;
  };
  const bytes = (len: number, what: string): Buffer => {
    if (off + len > block.length) throw invalid(`${what} of ${len} bytes runs past the block`);
    const b = block.subarray(off, off + len);
    off += len;
    return b;
  };
  const count = u32("pair count");
  for (let i = 0; i < count; i++) {
    const name = bytes(u32("name length"), "name").toString("utf8").toLowerCase();
    const values = bytes(u32("value length"), "value").toString("utf8").split("\0");
    const existing = out.get(name);
    if (existing === undefined) out.set(name, values);
    else existing.push(...values);
  }
  return out;
}

/** The first value of `name`, or undefined. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function invalid(detail: string): CriError {
  return new CriError("Internal", `Invalid SPDY header block: ${detail}`);
}
