/**
 * The daemon's JavaScript heap after a full garbage collection, through the V8 inspector: docker-cri
 * is started with `--inspect=127.0.0.1:0` (a test-only node flag, loopback, random port), and the
 * test asks it over the DevTools protocol to collect garbage, then for the heap's used size. RSS alone
 * cannot tell a leak from a heap V8 has not shrunk yet; the live heap after a forced GC can.
 */
import WebSocket from "ws";

export interface HeapProbe {
  /** Used JS heap in bytes right after a full GC. */
  usedAfterGc(): Promise<number>;
  close(): void;
}

/** The inspector URL from node's "Debugger listening on ws://…" line on the daemon's stderr. */
export function inspectorUrl(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
}

export async function openHeapProbe(url: string): Promise<HeapProbe> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => { resolve(); });
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on("message", (data: Buffer) => {
    const msg: unknown = JSON.parse(data.toString("utf8"));
    if (typeof msg !== "object" || msg === null) return;
    const id: unknown = Reflect.get(msg, "id");
    if (typeof id === "number") pending.get(id)?.(Reflect.get(msg, "result"));
  });
  const send = (method: string): Promise<unknown> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method }));
    });
  return {
    async usedAfterGc() {
      await send("HeapProfiler.collectGarbage");
      await send("HeapProfiler.collectGarbage");
      const usage = await send("Runtime.getHeapUsage");
      const used: unknown = typeof usage === "object" && usage !== null ? Reflect.get(usage, "usedSize") : undefined;
      if (typeof used !== "number") throw new Error(`unexpected Runtime.getHeapUsage answer: ${JSON.stringify(usage)}`);
      return used;
    },
    close() {
      ws.close();
    },
  };
}
