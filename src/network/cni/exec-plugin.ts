import { spawn } from "node:child_process";
import { basename } from "node:path";
import { CriError, type ErrorKind, withContext } from "../../errors/index.js";
import { isRecord } from "./json.js";

export type CniCommand = "ADD" | "DEL" | "CHECK" | "STATUS" | "GC" | "VERSION";

export interface PluginExec {
  /** Absolute path of the plugin executable. */
  readonly pluginPath: string;
  readonly command: CniCommand;
  /** CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME: "" for STATUS, GC and VERSION, and CNI_NETNS may be "" on DEL. */
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  /** CNI_ARGS as key/value pairs, in order. */
  readonly args: readonly (readonly [string, string])[];
  /** --cni-bin-dir, which becomes CNI_PATH (for delegating plugins such as bridge → host-local). */
  readonly binDirs: readonly string[];
  /** The network configuration for this plugin (with name, cniVersion, prevResult and runtimeConfig injected). */
  readonly stdin: string;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/**
 * Plugins run with the CNI variables and a fixed PATH (they need `iptables`, `ip6tables`, `modprobe`),
 * not with docker-cri's own environment: what a plugin sees does not depend on how docker-cri was
 * started, and nothing of docker-cri's environment leaks into third-party executables.
 */
const pluginPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Bounds on what we keep of a plugin's output: results are small; a runaway plugin must not eat memory. */
const maxStdoutBytes = 4 << 20;
const maxStderrBytes = 16 << 10;

/** CNI well-known error codes that mean "try again" rather than "broken". */
const retryableCodes = new Set([11, 50, 51]);

/**
 * Runs one CNI plugin as the spec says: the command and its arguments in CNI_* variables, the network
 * configuration on stdin, the result (or a `{code, msg, details}` error) on stdout, a non-zero exit
 * for failure. Resolves with the parsed stdout (undefined when empty). The plugin is killed when
 * `signal` aborts or `timeoutMs` passes.
 */
export function execPlugin(req: PluginExec): Promise<unknown> {
  const name = basename(req.pluginPath);
  const what = `CNI plugin "${name}" ${req.command}`;
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = AbortSignal.any([req.signal, timeout]);
  if (signal.aborted) return Promise.reject(abortError(what, req.signal, req.timeoutMs));
  const env: Record<string, string> = {
    CNI_COMMAND: req.command,
    CNI_CONTAINERID: req.containerId,
    CNI_NETNS: req.netns,
    CNI_IFNAME: req.ifName,
    CNI_ARGS: req.args.map(([k, v]) => `${k}=${v}`).join(";"),
    CNI_PATH: req.binDirs.join(":"),
    PATH: pluginPath,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(req.pluginPath, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = "";
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = (): void => {
      child.kill("SIGKILL");
      finish(() => { reject(abortError(what, req.signal, req.timeoutMs)); });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdoutBytes) {
        child.kill("SIGKILL");
        finish(() => { reject(new CriError("Internal", `${what} wrote more than ${maxStdoutBytes} bytes to stdout`)); });
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < maxStderrBytes) stderr += chunk.slice(0, maxStderrBytes - stderr.length);
    });
    child.on("error", (err) => {
      finish(() => { reject(new CriError("FailedPrecondition", `Cannot run ${what} (${req.pluginPath}): ${err.message}`, { cause: err })); });
    });
    // A plugin that exits without reading stdin makes our write fail with EPIPE; its exit status says what happened.
    child.stdin.on("error", () => undefined);
    child.stdin.end(req.stdin);
    child.on("close", (code, sig) => {
      finish(() => {
        const out = Buffer.concat(stdout).toString("utf8").trim();
        if (code === 0) {
          if (out === "") {
            resolve(undefined);
            return;
          }
          try {
            resolve(JSON.parse(out));
          } catch {
            reject(new CriError("Internal", `${what} succeeded but its output is not JSON: ${truncate(out)}`));
          }
          return;
        }
        reject(pluginFailure(what, code, sig, out, stderr));
      });
    });
  });
}

function pluginFailure(what: string, code: number | null, sig: NodeJS.Signals | null, out: string, stderr: string): CriError {
  const exit = code === null ? `was killed by ${sig ?? "a signal"}` : `exited with ${code}`;
  let parsed: unknown;
  try {
    parsed = out === "" ? undefined : JSON.parse(out);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed) && (typeof parsed.msg === "string" || typeof parsed.code === "number")) {
    const cniCode = typeof parsed.code === "number" ? parsed.code : 0;
    const msg = typeof parsed.msg === "string" ? parsed.msg : "";
    const details = typeof parsed.details === "string" && parsed.details !== "" ? ` (${parsed.details})` : "";
    const kind: ErrorKind = retryableCodes.has(cniCode) ? "Unavailable" : "Internal";
    return new CriError(kind, `${what} failed with CNI error ${cniCode}: ${msg}${details}`);
  }
  const text = (out !== "" ? out : stderr).trim();
  return new CriError("Internal", `${what} ${exit}${text === "" ? "" : `: ${truncate(text)}`}`);
}

function abortError(what: string, outer: AbortSignal, timeoutMs: number): CriError {
  if (outer.aborted) {
    const reason: unknown = outer.reason;
    if (reason instanceof CriError) return withContext(reason, `${what} was stopped`);
    return new CriError("Canceled", `${what} was canceled`);
  }
  return new CriError("DeadlineExceeded", `${what} did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`);
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > 500 ? `${oneLine.slice(0, 500)}…` : oneLine;
}
