/**
 * The recipe of the test pause image: pause/pause.c compiled statically with the host's gcc, alone in
 * the image as /pause. gcc runs only when the image is missing or the source changed.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTar } from "./tar.js";
import type { ImageRecipe } from "./image-recipe.js";

const execFileAsync = promisify(execFile);

export const PAUSE_SOURCE = fileURLToPath(new URL("pause/pause.c", import.meta.url));

const GCC_FLAGS = ["-static", "-Os", "-s", "-Wall", "-Wextra"] as const;

/** Reads the source now (it is the hash input); compiles on demand. */
export async function pauseRecipe(ref: string): Promise<ImageRecipe> {
  const source = await readFile(PAUSE_SOURCE);
  return {
    ref,
    changes: ['ENTRYPOINT ["/pause"]'],
    hashInputs: [source, GCC_FLAGS.join(" ")],
    rootfs: async () => {
      const binary = await compilePause(ref);
      return createTar([{ type: "file", path: "pause", content: binary, mode: 0o755 }]);
    },
  };
}

async function compilePause(ref: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-pause-"));
  try {
    const out = join(dir, "pause");
    try {
      await execFileAsync("gcc", [...GCC_FLAGS, "-o", out, PAUSE_SOURCE]);
    } catch (err) {
      const detail = isExecError(err) ? (err.code === "ENOENT" ? "gcc not found" : err.stderr.trim() || err.message) : String(err);
      throw new Error(
        `Cannot build test image "${ref}": compiling "${PAUSE_SOURCE}" failed (install gcc and libc6-dev): ${detail}`,
        { cause: err },
      );
    }
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ExecError extends Error {
  code?: unknown;
  stderr: string;
}

function isExecError(err: unknown): err is ExecError {
  // The cast only widens for a property probe; the typeof check is what narrows.
  return err instanceof Error && typeof (err as Partial<ExecError>).stderr === "string";
}
