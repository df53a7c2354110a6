/**
 * The cgroup the container runtime (dockerd, containerd) is kept in, whatever creates it: cgroupfs
 * directories written directly (v1 or v2), or a systemd unit driven over D-Bus.
 */
export interface RuntimeCgroup {
  /** For logs, e.g. `cgroupfs v1 "/docker-runtime"`. */
  readonly description: string;
  /** Creates the cgroup where that is ours to do, and (re)applies the memory limit. */
  ensure(memoryLimitBytes: number): Promise<void>;
  /** True when `pid` is in the cgroup already. */
  contains(pid: number): Promise<boolean>;
  /** Moves `pids` into the cgroup. */
  attach(pids: readonly number[], memoryLimitBytes: number): Promise<void>;
}
