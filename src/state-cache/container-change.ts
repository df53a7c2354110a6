import type { ContainerInspect } from "../docker/index.js";
import type { FollowedAction } from "./docker-events.js";

/** A change the cache applied, for subscribers (GetContainerEvents). */
export interface ContainerChange {
  readonly action: FollowedAction;
  readonly id: string;
  /** When Docker saw it (ns since the epoch); for changes found by a resync, when the resync ran. */
  readonly timeNano: bigint;
  /** The container as inspected after the change; undefined once it is destroyed. */
  readonly current: ContainerInspect | undefined;
  /** What the cache held before (for destroy: the container's last known state). */
  readonly previous: ContainerInspect | undefined;
  /** Found by comparing a resync after a reconnect with what the cache held, not read from the stream. */
  readonly replayed: boolean;
}
