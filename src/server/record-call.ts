import { status } from "@grpc/grpc-js";
import type { Logger } from "../logger/index.js";
import type { RpcMetrics } from "../metrics/index.js";
import { codeName } from "./status-code.js";

/** RPCs that change nothing; they log at debug so a busy kubelet's polling does not flood info. */
const readOnly = /^(Version|Status|RuntimeConfig|ImageFsInfo|ImageStatus|List.*|Stream.*|.*Status|.*Stats|GetContainerEvents)$/;

/**
 * Times one call from now and records how it ended, once: the RPC metric (`metrics`) by method and code, and one
 * line in the call's log (`{ durationMs, ...fields }`, "<Method> succeeded" or "failed", then
 * `suffix`). Read-only RPCs log at debug and the rest at info; failures the operator must see go
 * higher: Internal and Unknown at error, Unavailable and DeadlineExceeded at warn. Docker mode and
 * the remote proxy both record through here.
 */
export function recordCall(metrics: RpcMetrics, rpc: string, log: Logger, suffix = ""): (code: status, fields: Readonly<Record<string, unknown>>) => void {
  const started = process.hrtime.bigint();
  const level = readOnly.test(rpc) ? "debug" : "info";
  let recorded = false;
  return (code, fields) => {
    if (recorded) return;
    recorded = true;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(rpc, codeName(code), seconds);
    const line = { durationMs: Math.round(seconds * 1e6) / 1e3, ...fields };
    if (code === status.OK) log[level](line, `${rpc} succeeded${suffix}`);
    else if (code === status.INTERNAL || code === status.UNKNOWN) log.error(line, `${rpc} failed${suffix}`);
    else if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED) log.warn(line, `${rpc} failed${suffix}`);
    else log[level](line, `${rpc} failed${suffix}`);
  };
}
