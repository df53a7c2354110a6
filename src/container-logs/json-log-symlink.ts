import { lstat, readlink, rm, symlink } from "node:fs/promises";
import { dirname } from "node:path";
import { CriError } from "../errors/index.js";
import { makeDirs } from "../util/make-dirs.js";

/**
 * `--container-log-mode=json-symlink`, cri-dockerd's behaviour: the CRI log path is a symlink to
 * Docker's json-file log. The kubelet reads json-file lines through it; the CRI validation suite and
 * CRI log tooling do not, and ReopenContainerLog cannot work (Docker owns the file).
 * An existing symlink is replaced; anything else at the path is left alone and refused.
 */
export async function linkJsonLog(criLogPath: string, dockerLogPath: string): Promise<void> {
  await makeDirs(dirname(criLogPath));
  const target = await symlinkTarget(criLogPath);
  if (target === dockerLogPath) return;
  if (target === undefined) {
    const exists = await lstat(criLogPath).then(() => true, () => false);
    if (exists) throw new CriError("FailedPrecondition", `Cannot link the container log "${criLogPath}" to Docker's log: the path exists and is not a symlink`);
  } else {
    await rm(criLogPath, { force: true });
  }
  await symlink(dockerLogPath, criLogPath);
}

/** Removes the symlink if it still points at `dockerLogPath` (cri-dockerd does so on RemoveContainer). */
export async function unlinkJsonLog(criLogPath: string, dockerLogPath: string): Promise<void> {
  if ((await symlinkTarget(criLogPath)) === dockerLogPath) await rm(criLogPath, { force: true });
}

/** The target of the symlink at `path`, or undefined when there is none (or it is not a symlink). */
export async function symlinkTarget(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code; // readlink rejects with errno errors
    if (code === "ENOENT" || code === "EINVAL") return undefined;
    throw err;
  }
}
