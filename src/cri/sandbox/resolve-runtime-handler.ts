import { CriError } from "../../errors/index.js";
import type { DockerRuntimes } from "./sandbox-deps.js";

/**
 * The Docker runtime for a CRI runtime handler, or undefined for Docker's default. "" and "docker"
 * (what a RuntimeClass on a cri-dockerd node names the default) mean the default; any other name
 * must be one of Docker's runtimes. Docker is asked again before refusing, because runtimes can be
 * added with a daemon reload.
 */
export async function resolveRuntimeHandler(runtimes: DockerRuntimes, handler: string, signal: AbortSignal): Promise<string | undefined> {
  if (handler === "" || handler === "docker") return undefined;
  if (runtimes.known.includes(handler)) return handler;
  const fresh = await runtimes.refresh(signal);
  if (fresh.includes(handler)) return handler;
  throw new CriError(
    "InvalidArgument",
    `Unknown runtime handler "${handler}": Docker has no runtime of that name (it has ${fresh.map((r) => `"${r}"`).join(", ") || "none"}); add it to the "runtimes" of Docker's daemon.json`,
  );
}
