/**
 * Images made for one test run: each has a layer of random bytes, so its id and layer digest exist
 * nowhere else on the machine. Pulling it really downloads (Docker skips layers it already has,
 * which would be the case for a retag of the shared busybox image), and removing it cannot touch
 * another test's images. Every such image carries a run label, and cleanup removes only those.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { DEFAULT_DOCKER_SOCKET, dockerJson, dockerJsonStream, isRecord } from "./docker-api.js";
import type { RegistryCredentials } from "./registry.js";
import { createTar } from "./tar.js";

/** Label on every image made here; its value is the run id. */
export const IMAGE_RUN_LABEL = "io.docker-cri.test.images-run";

export interface UniqueImageOptions {
  readonly runId: string;
  /** The image config's USER, e.g. "1002", "www-data", "1003:1004". */
  readonly user?: string;
  /** Size of the random layer content (default 64 KiB). */
  readonly bytes?: number;
}

/** Imports a one-layer image of random content as `ref` ("repo:tag"); returns its id. */
export async function buildUniqueImage(ref: string, options: UniqueImageOptions): Promise<string> {
  const tar = createTar([
    { type: "file", path: "payload", content: randomBytes(options.bytes ?? 64 * 1024) },
    { type: "file", path: "run-id", content: options.runId },
  ]);
  const colon = ref.lastIndexOf(":");
  const [repo, tag] = colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
  const changes = [`LABEL ${IMAGE_RUN_LABEL}=${options.runId}`, 'CMD ["/payload"]'];
  if (options.user !== undefined) changes.push(`USER ${options.user}`);
  const messages = await dockerJsonStream({ method: "POST", path: "/images/create", query: { fromSrc: "-", repo, tag, changes }, body: tar });
  const last = messages[messages.length - 1];
  const id = isRecord(last) ? last.status : undefined;
  if (typeof id !== "string" || !id.startsWith("sha256:")) throw new Error(`Import of "${ref}" did not report an image id: ${JSON.stringify(messages)}`);
  return id;
}

/** Adds the name `repo:tag` to an image. */
export async function tagImage(image: string, repo: string, tag: string): Promise<void> {
  await dockerJson({ method: "POST", path: `/images/${image}/tag`, query: { repo, tag } });
}

/** `docker push`: `ref` must be "registry/repo:tag"; credentials go in X-Registry-Auth as Docker's CLI sends them. */
export async function pushImage(ref: string, credentials?: RegistryCredentials): Promise<string> {
  const colon = ref.lastIndexOf(":");
  const name = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  // base64url with padding, like Go's base64.URLEncoding that the daemon decodes with.
  const auth = Buffer.from(JSON.stringify(credentials ?? {})).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      { socketPath: DEFAULT_DOCKER_SOCKET, method: "POST", path: `/images/${name}/push?tag=${encodeURIComponent(tag)}`, headers: { "X-Registry-Auth": auth } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => { text += c; });
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`Push of "${ref}" failed with HTTP ${res.statusCode}: ${text}`));
          else resolve(text);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
  let digest = "";
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const msg: unknown = JSON.parse(line);
    if (!isRecord(msg)) continue;
    if (typeof msg.error === "string") throw new Error(`Push of "${ref}" failed: ${msg.error}`);
    const aux = msg.aux;
    if (isRecord(aux) && typeof aux.Digest === "string") digest = aux.Digest;
    // The containerd image store (seen on Docker 28.5) sends no aux message, only the line the CLI
    // prints: "<tag>: digest: sha256:… size: <n>".
    const pushed = typeof msg.status === "string" ? /: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(msg.status) : null;
    if (digest === "" && pushed?.[1] !== undefined) digest = pushed[1];
  }
  if (digest === "") throw new Error(`Push of "${ref}" reported no digest: ${body}`);
  return digest;
}

/** Inspect, or undefined when the image is absent. */
export async function inspectImage(ref: string): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await dockerJson({ method: "GET", path: `/images/${ref}/json` });
    return isRecord(body) ? body : undefined;
  } catch (err) {
    if (err instanceof Error && "status" in err && err.status === 404) return undefined;
    throw err;
  }
}

/** Removes a name (untag), ignoring a name that is already gone. */
export async function untag(ref: string): Promise<void> {
  try {
    await dockerJson({ method: "DELETE", path: `/images/${ref}` });
  } catch (err) {
    if (!(err instanceof Error && "status" in err && err.status === 404)) throw err;
  }
}

/** Removes every image of this run (by label), with all their names. Never touches other images. */
export async function removeRunImages(runId: string): Promise<void> {
  const listed = await dockerJson({ method: "GET", path: "/images/json", query: { all: true, filters: JSON.stringify({ label: [`${IMAGE_RUN_LABEL}=${runId}`] }) } });
  for (const img of Array.isArray(listed) ? listed : []) {
    if (!isRecord(img) || typeof img.Id !== "string") continue;
    try {
      await dockerJson({ method: "DELETE", path: `/images/${img.Id}`, query: { force: true } });
    } catch (err) {
      if (!(err instanceof Error && "status" in err && err.status === 404)) throw err;
    }
  }
}

/** A short random id for names and labels of one test run. */
export function newRunId(): string {
  return randomBytes(4).toString("hex");
}
