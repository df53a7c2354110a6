/**
 * The recipe of the test busybox image: the host's static /bin/busybox (Debian's busybox-static) with a
 * symlink per applet, a minimal /etc and the usual empty mount points. Everything comes from this
 * machine; nothing is downloaded.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { createTar, type TarEntry } from "./tar.js";
import type { ImageRecipe } from "./image-recipe.js";

const execFileAsync = promisify(execFile);

export const DEFAULT_BUSYBOX_BINARY = "/bin/busybox";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "www-data:x:33:33:www-data:/var/www:/bin/false",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
  "",
].join("\n");

const GROUP = ["root:x:0:", "www-data:x:33:", "nobody:x:65534:", ""].join("\n");

// Docker bind-mounts its own hosts, resolv.conf and hostname over these; they exist so that the image
// also works when those mounts are absent (e.g. a container in another container's network namespace).
const HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

const DIRECTORIES: readonly (readonly [path: string, mode: number])[] = [
  ["bin", 0o755],
  ["sbin", 0o755],
  ["usr", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
  ["etc", 0o755],
  ["dev", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["run", 0o755],
  ["tmp", 0o1777],
  ["root", 0o700],
  ["home", 0o755],
  ["var", 0o755],
  ["var/tmp", 0o1777],
  ["var/www", 0o755],
];

export interface BusyboxRecipeOptions {
  /** Path of a statically linked busybox on this machine, default /bin/busybox. */
  readonly busyboxBinary?: string;
}

/** Builds the busybox recipe; reads the binary and its applet list now, so the hash covers both. */
export async function busyboxRecipe(ref: string, options: BusyboxRecipeOptions = {}): Promise<ImageRecipe> {
  const binaryPath = options.busyboxBinary ?? DEFAULT_BUSYBOX_BINARY;
  let binary: Buffer;
  try {
    binary = await readFile(binaryPath);
  } catch (err) {
    throw new Error(`Cannot build test image "${ref}": cannot read "${binaryPath}" (install busybox-static)`, { cause: err });
  }
  if (!isStaticElf(binary)) {
    throw new Error(
      `Cannot build test image "${ref}": "${binaryPath}" is not a statically linked ELF executable (install busybox-static, not busybox)`,
    );
  }
  const applets = await appletPaths(binaryPath);

  const entries: TarEntry[] = DIRECTORIES.map(([path, mode]) => ({ type: "directory", path, mode }));
  entries.push(
    { type: "file", path: "bin/busybox", content: binary, mode: 0o755 },
    { type: "file", path: "etc/passwd", content: PASSWD },
    { type: "file", path: "etc/group", content: GROUP },
    { type: "file", path: "etc/hosts", content: HOSTS },
    { type: "file", path: "etc/resolv.conf", content: "" },
    { type: "file", path: "etc/hostname", content: "" },
  );
  for (const path of applets) entries.push({ type: "symlink", path, target: "/bin/busybox" });
  const tar = createTar(entries);

  return {
    ref,
    changes: ['CMD ["sh"]', "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    // The tar is deterministic, so it stands for the binary, the applet list and the layout at once.
    hashInputs: [tar],
    rootfs: () => Promise.resolve(tar),
  };
}

/**
 * Where each applet lives ("bin/sh", "usr/bin/env", …), from `busybox --list-full`; falls back to
 * `--list` with everything in bin/ for builds without that option.
 */
async function appletPaths(binaryPath: string): Promise<string[]> {
  let paths: string[];
  try {
    const { stdout } = await execFileAsync(binaryPath, ["--list-full"]);
    paths = lines(stdout);
  } catch {
    const { stdout } = await execFileAsync(binaryPath, ["--list"]);
    paths = lines(stdout).map((name) => `bin/${name}`);
  }
  // Skip the binary itself and root-level oddities such as "linuxrc".
  const unique = new Set(paths.filter((p) => p.includes("/") && p !== "bin/busybox" && !p.includes("..")));
  return [...unique].sort();
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim().replace(/^\/+/, ""))
    .filter((l) => l !== "");
}

/** True for an ELF executable without a PT_INTERP program header, i.e. one that needs no dynamic loader. */
export function isStaticElf(binary: Buffer): boolean {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = binary[4] === 2;
  const le = binary[5] === 1;
  const u16 = (o: number): number => (le ? binary.readUInt16LE(o) : binary.readUInt16BE(o));
  const u32 = (o: number): number => (le ? binary.readUInt32LE(o) : binary.readUInt32BE(o));
  const phoff = is64 ? Number(le ? binary.readBigUInt64LE(0x20) : binary.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const offset = phoff + i * phentsize;
    if (offset + 4 > binary.length) return false;
    if (u32(offset) === PT_INTERP) return false;
  }
  return true;
}
