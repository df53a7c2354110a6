/**
 * A minimal USTAR writer for building image root filesystems in tests: regular files, directories and
 * symlinks, nothing else (no long names, no PAX headers, no hard links or device nodes — Docker creates
 * /dev itself). The output is deterministic: the same entries give the same bytes, so a hash of the tar
 * can serve as an image's content hash.
 *
 * Entries are written in the order given; a tar consumer creates missing parent directories on its
 * own, but list them first anyway to control their mode.
 */

export type TarEntry =
  | {
      readonly type: "file";
      readonly path: string;
      readonly content: Uint8Array | string;
      /** Permission bits, default 0o644. */
      readonly mode?: number;
      readonly uid?: number;
      readonly gid?: number;
    }
  | {
      readonly type: "directory";
      readonly path: string;
      /** Permission bits including sticky/setgid, default 0o755. */
      readonly mode?: number;
      readonly uid?: number;
      readonly gid?: number;
    }
  | {
      readonly type: "symlink";
      readonly path: string;
      readonly target: string;
      readonly uid?: number;
      readonly gid?: number;
    };

export interface TarOptions {
  /** Modification time of every entry in seconds since the epoch, default 0 (keeps output reproducible). */
  readonly mtime?: number;
}

const BLOCK = 512;
const NAME_MAX = 100;
const PREFIX_MAX = 155;

/** Builds a complete tar archive (with its two zero end blocks) from `entries`. */
export function createTar(entries: readonly TarEntry[], options: TarOptions = {}): Buffer {
  const mtime = options.mtime ?? 0;
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.type === "file" ? toBuffer(entry.content) : Buffer.alloc(0);
    chunks.push(header(entry, body.length, mtime));
    if (body.length > 0) {
      chunks.push(body);
      const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
      if (pad > 0) chunks.push(Buffer.alloc(pad));
    }
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

function toBuffer(content: Uint8Array | string): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  // Tar paths are relative; a trailing slash marks directories for old readers.
  let path = entry.path.replace(/^\/+/, "");
  if (path === "") throw new Error(`Cannot add tar entry "${entry.path}": empty path`);
  if (entry.type === "directory" && !path.endsWith("/")) path += "/";
  const [prefix, name] = splitPath(path);

  let typeflag: string;
  let mode: number;
  let linkname = "";
  switch (entry.type) {
    case "file":
      typeflag = "0";
      mode = entry.mode ?? 0o644;
      break;
    case "directory":
      typeflag = "5";
      mode = entry.mode ?? 0o755;
      break;
    case "symlink":
      typeflag = "2";
      mode = 0o777;
      linkname = entry.target;
      if (Buffer.byteLength(linkname) > NAME_MAX) {
        throw new Error(`Cannot add symlink "${entry.path}": target longer than ${NAME_MAX} bytes: "${linkname}"`);
      }
      break;
  }

  writeString(h, 0, NAME_MAX, name);
  writeOctal(h, 100, 8, mode & 0o7777);
  writeOctal(h, 108, 8, entry.uid ?? 0);
  writeOctal(h, 116, 8, entry.gid ?? 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, 156, 1, typeflag);
  writeString(h, 157, NAME_MAX, linkname);
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, entry.uid === undefined || entry.uid === 0 ? "root" : "");
  writeString(h, 297, 32, entry.gid === undefined || entry.gid === 0 ? "root" : "");
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  writeString(h, 345, PREFIX_MAX, prefix);

  let sum = 0;
  for (const byte of h) sum += byte;
  // Six octal digits, NUL, space: the historical format every reader accepts.
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Splits a path into USTAR's prefix and name fields, or throws when it cannot fit. */
function splitPath(path: string): [prefix: string, name: string] {
  if (Buffer.byteLength(path) <= NAME_MAX) return ["", path];
  // Split at a slash so that name ≤ 100 and prefix ≤ 155 bytes; a directory's trailing slash stays in name.
  for (let i = path.length - 2; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(name) > NAME_MAX) break;
    if (Buffer.byteLength(prefix) <= PREFIX_MAX) return [prefix, name];
  }
  throw new Error(`Cannot add tar entry "${path}": path does not fit the USTAR name and prefix fields`);
}

function writeString(h: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`Cannot write tar header field: "${value}" longer than ${length} bytes`);
  bytes.copy(h, offset);
}

function writeOctal(h: Buffer, offset: number, length: number, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`Cannot write tar header field: invalid number ${value}`);
  // length-1 octal digits followed by NUL.
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`Cannot write tar header field: ${value} too large for ${length} bytes`);
  writeString(h, offset, length, `${digits.padStart(length - 1, "0")}\0`);
}
