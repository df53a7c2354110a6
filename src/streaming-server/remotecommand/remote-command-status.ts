/**
 * What goes on the error stream (SPDY) or channel 3 (WebSocket) when a command ends.
 *
 * v1–v3 (`channel.k8s.io` … `v3.channel.k8s.io`, and the base64 v1): plain text on failure, nothing
 * on success. v4 and v5: a metav1.Status-shaped JSON document. A non-zero exit is reason
 * `NonZeroExitCode` with one cause whose `reason` (the Go field `Type`, JSON key `reason`) is
 * `ExitCode` and whose message is the decimal code; client-go turns that into an exit error with
 * that code (0–255). Other failures are `InternalError` with code 500.
 */
import { errorMessage } from "../../errors/index.js";

export type CommandOutcome =
  | { readonly kind: "success" }
  | { readonly kind: "exit"; readonly exitCode: number }
  | { readonly kind: "error"; readonly message: string };

export function outcomeOf(result: { exitCode: number } | undefined, err: unknown, what: "executing command in container" | "attaching to container"): CommandOutcome {
  if (err !== undefined) return { kind: "error", message: `error ${what}: ${errorMessage(err)}` };
  if (result !== undefined && result.exitCode !== 0) return { kind: "exit", exitCode: result.exitCode };
  return { kind: "success" };
}

/** The bytes for the error stream, or undefined when nothing is to be written (v1–v3 success). */
export function statusBytes(statusJson: boolean, outcome: CommandOutcome): Buffer | undefined {
  if (!statusJson) {
    if (outcome.kind === "success") return undefined;
    return Buffer.from(outcome.kind === "exit" ? exitMessage(outcome.exitCode) : outcome.message, "utf8");
  }
  switch (outcome.kind) {
    case "success":
      return json({ metadata: {}, status: "Success" });
    case "exit":
      return json({
        metadata: {},
        status: "Failure",
        message: exitMessage(outcome.exitCode),
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: String(outcome.exitCode) }] },
      });
    case "error":
      return json({
        metadata: {},
        status: "Failure",
        message: `Internal error occurred: ${outcome.message}`,
        reason: "InternalError",
        details: { causes: [{ message: outcome.message }] },
        code: 500,
      });
  }
}

function exitMessage(code: number): string {
  return `command terminated with non-zero exit code: exit status ${code}`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}
