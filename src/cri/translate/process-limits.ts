import { CriError } from "../../errors/index.js";
import type { ContainerConfig } from "../../gen/index.js";

/**
 * Linux refuses a path longer than PATH_MAX (4096 bytes, ENAMETOOLONG) and an argument longer than
 * MAX_ARG_STRLEN (32 pages, E2BIG), so no working container or command needs more. docker-cri refuses
 * them before Docker sees them because of what happens otherwise: runc (1.1, Docker 20.10) reports a
 * failed exec or create through a pipe, and an error longer than the pipe's 64 KiB — one that quotes
 * an executable, working directory or mount path of that size — blocks runc for good. Docker then
 * holds the container's lock forever: every later exec, stop, inspect and `docker rm -f` of that
 * container hangs, until an operator kills the stuck runc by hand. (Found by test/chaos fuzzing.)
 */
export const maxPathBytes = 4096;
export const maxArgBytes = 128 * 1024;

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Refuses a path Linux would refuse anyway; `what` names it in the message ("working_dir"). */
export function checkPathLength(what: string, path: string): void {
  const n = byteLength(path);
  if (n > maxPathBytes) throw new CriError("InvalidArgument", `Invalid ${what}: ${n} bytes long, more than Linux allows for a path (${maxPathBytes})`);
}

/**
 * Refuses a command whose executable is longer than a path may be, or with an argument longer than
 * Linux passes to a program. `what` names the command ("ExecSync cmd").
 */
export function checkCommand(what: string, argv: readonly string[]): void {
  const executable = argv[0];
  if (executable !== undefined) checkPathLength(`${what}: the executable`, executable);
  argv.forEach((arg, i) => {
    const n = byteLength(arg);
    if (n > maxArgBytes) throw new CriError("InvalidArgument", `Invalid ${what}: argument ${i} is ${n} bytes long, more than Linux passes to a program (${maxArgBytes})`);
  });
}

/**
 * Without `command` the image's entrypoint may take `args[0]` as a script or the image may have none,
 * making `args[0]` the executable; only the latter can hang runc, so `args[0]` is held below what a
 * runc error fits in the pipe (about 64 KiB with its wording), not to PATH_MAX.
 */
export const maxFirstArgBytes = 60_000;

/** The paths and command of CreateContainer that reach runc, checked as above. */
export function checkContainerProcessPaths(config: ContainerConfig): void {
  if (config.command.length > 0) {
    checkCommand("command", [...config.command, ...config.args]);
  } else {
    checkCommand("args", config.args.map((a, i) => (i === 0 ? "" : a)));
    const first = config.args[0];
    if (first !== undefined && byteLength(first) > maxFirstArgBytes) {
      throw new CriError("InvalidArgument", `Invalid args: argument 0 is ${byteLength(first)} bytes long; without a command it may be the executable, which must be shorter than ${maxFirstArgBytes}`);
    }
  }
  checkPathLength("working_dir", config.workingDir);
  for (const m of config.mounts) {
    checkPathLength("mount host_path", m.hostPath);
    checkPathLength("mount container_path", m.containerPath);
  }
  for (const d of config.devices) {
    checkPathLength("device host_path", d.hostPath);
    checkPathLength("device container_path", d.containerPath);
  }
  checkPathLength("log_path", config.logPath);
}
