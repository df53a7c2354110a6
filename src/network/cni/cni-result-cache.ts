import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { isRecord, stringField } from "./json.js";

/** libcni's cache record kind; files of other kinds (or older layouts) are ignored. */
const cacheKind = "cniCacheV1";

/** One network attachment of a pod, as ADD left it: what DEL needs after docker-cri restarts. */
export interface CachedAttachment {
  readonly containerId: string;
  readonly ifName: string;
  readonly networkName: string;
  /** The network configuration list ADD ran, as JSON text. */
  readonly config: string;
  readonly netns: string;
  readonly cniArgs: readonly (readonly [string, string])[];
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  /** The final ADD result, in the config's version; absent while an ADD is in flight. */
  readonly result: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The CNI result cache under --cni-cache-dir, in libcni's layout so that a node moving between
 * cri-dockerd, containerd and docker-cri keeps tearing pods down: one JSON file per attachment at
 * `<dir>/results/<network>-<container id>-<ifname>` with `kind: "cniCacheV1"`, `containerId`,
 * `config` (base64 of the list, as Go encodes a byte slice), `ifName`, `networkName`, `netns`,
 * `cniArgs`, `capabilityArgs` and `result`. Files are written to a temp name and renamed, mode 0600.
 */
export class CniResultCache {
  readonly #dir: string;

  constructor(cacheDir: string) {
    this.#dir = join(cacheDir, "results");
  }

  pathOf(networkName: string, containerId: string, ifName: string): string {
    return join(this.#dir, `${networkName}-${containerId}-${ifName}`);
  }

  async write(a: CachedAttachment): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const body = {
      kind: cacheKind,
      containerId: a.containerId,
      config: Buffer.from(a.config, "utf8").toString("base64"),
      ifName: a.ifName,
      networkName: a.networkName,
      ...(a.netns === "" ? {} : { netns: a.netns }),
      ...(a.cniArgs.length === 0 ? {} : { cniArgs: a.cniArgs }),
      ...(Object.keys(a.capabilityArgs).length === 0 ? {} : { capabilityArgs: a.capabilityArgs }),
      ...(a.result === undefined ? {} : { result: a.result }),
    };
    const path = this.pathOf(a.networkName, a.containerId, a.ifName);
    const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
    try {
      await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** The attachment, or undefined when there is none (or the file is not a cache record we can read). */
  async read(networkName: string, containerId: string, ifName: string): Promise<CachedAttachment | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(networkName, containerId, ifName), "utf8");
    } catch {
      return undefined;
    }
    return decode(text);
  }

  async remove(networkName: string, containerId: string, ifName: string): Promise<void> {
    const path = this.pathOf(networkName, containerId, ifName);
    await rm(path, { force: true });
    // With it goes any temp file of this attachment that a crash left between write and rename
    // (found by test/chaos/crash-restart); nothing else would ever remove it.
    const prefix = `${basename(path)}.tmp-`;
    for (const name of await readdir(this.#dir).catch(() => [])) {
      if (name.startsWith(prefix)) await rm(join(this.#dir, name), { force: true });
    }
  }

  /** Every attachment of one container, in file name order. */
  async listFor(containerId: string): Promise<CachedAttachment[]> {
    return (await this.list((name) => name.includes(`-${containerId}-`))).filter((a) => a.containerId === containerId);
  }

  /** Every readable attachment whose file name passes `filter`. */
  async list(filter: (fileName: string) => boolean = () => true): Promise<CachedAttachment[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    const out: CachedAttachment[] = [];
    for (const name of names.sort()) {
      if (name.includes(".tmp-") || !filter(name)) continue;
      let text: string;
      try {
        text = await readFile(join(this.#dir, name), "utf8");
      } catch {
        continue;
      }
      const a = decode(text);
      if (a !== undefined) out.push(a);
    }
    return out;
  }
}

function decode(text: string): CachedAttachment | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(json) || json.kind !== cacheKind) return undefined;
  const containerId = stringField(json, "containerId");
  const ifName = stringField(json, "ifName");
  const networkName = stringField(json, "networkName");
  if (containerId === "" || ifName === "" || networkName === "") return undefined;
  const cniArgs: [string, string][] = [];
  if (Array.isArray(json.cniArgs)) {
    for (const pair of json.cniArgs) {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" && typeof pair[1] === "string") cniArgs.push([pair[0], pair[1]]);
    }
  }
  return {
    containerId,
    ifName,
    networkName,
    config: Buffer.from(stringField(json, "config"), "base64").toString("utf8"),
    netns: stringField(json, "netns"),
    cniArgs,
    capabilityArgs: isRecord(json.capabilityArgs) ? json.capabilityArgs : {},
    result: isRecord(json.result) ? json.result : undefined,
  };
}
