/**
 * What a process holds open, read from /proc (the tests run as root beside the daemon): its sockets,
 * and which of them are TCP connections on a given local port (the streaming server's).
 */
import { readdir, readFile, readlink } from "node:fs/promises";

async function socketInodes(pid: number): Promise<Set<string>> {
  const out = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] !== undefined) out.add(m[1]);
  }
  return out;
}

/** TCP sockets of the host's (shared) network namespace: inode → local port and state. */
async function tcpTable(): Promise<Map<string, { port: number; state: string }>> {
  const table = new Map<string, { port: number; state: string }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (local === undefined || state === undefined || inode === undefined) continue;
      table.set(inode, { port: parseInt(local.split(":")[1] ?? "0", 16), state });
    }
  }
  return table;
}

export interface SocketCounts {
  /** Every socket the process holds (unix: Docker's keep-alive pool and hijacked exec/attach connections; TCP). */
  readonly total: number;
  /** Established TCP connections on `port` (the listening socket itself not counted). */
  readonly onPort: number;
}

export async function socketCounts(pid: number, port: number): Promise<SocketCounts> {
  const inodes = await socketInodes(pid);
  const tcp = await tcpTable();
  let onPort = 0;
  for (const inode of inodes) {
    const entry = tcp.get(inode);
    // State 0A is LISTEN.
    if (entry?.port === port && entry.state !== "0A") onPort++;
  }
  return { total: inodes.size, onPort };
}
