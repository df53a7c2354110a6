import { randomBytes } from "node:crypto";

/** Unique per process start, so ids from two runs in one log file do not collide. */
const boot = randomBytes(3).toString("hex");
let counter = 0;

/** A short, cheap, unique request id: "<boot>-<n>". */
export function nextRequestId(): string {
  counter += 1;
  return `${boot}-${counter.toString(36)}`;
}
