import { CriError } from "../../errors/index.js";

/**
 * An image reference normalised the way Docker does it (distribution/reference's
 * ParseNormalizedNamed): "busybox" is docker.io/library/busybox, "index.docker.io/x/y" is
 * docker.io/x/y, "127.0.0.1:5000/x" keeps its registry.
 */
export interface ImageReference {
  /** Registry host with optional port; "docker.io" when none was given. */
  readonly domain: string;
  /** Repository path inside the registry; official Docker Hub images get "library/". */
  readonly path: string;
  readonly tag: string | undefined;
  /** "sha256:…" */
  readonly digest: string | undefined;
}

export const defaultDomain = "docker.io";
const legacyDefaultDomain = "index.docker.io";
const officialRepoPrefix = "library/";
/** distribution/reference's NameTotalLengthMax. */
const maxNameLength = 255;

// The grammar of distribution/reference, one piece per part of a reference.
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainRe = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** A bare 64-hex string is an image id, never a repository name (Docker refuses it as one). */
const fullHexId = /^[a-f0-9]{64}$/;

/** Parses and normalises `text`; throws InvalidArgument naming the reference and what is wrong with it. */
export function parseImageReference(text: string): ImageReference {
  const result = tryParse(text);
  if (typeof result === "string") throw new CriError("InvalidArgument", `Invalid image reference "${text}": ${result}`);
  return result;
}

/** Like parseImageReference, but undefined instead of an error (for ids, id prefixes and patterns). */
export function tryParseImageReference(text: string): ImageReference | undefined {
  const result = tryParse(text);
  return typeof result === "string" ? undefined : result;
}

/** The normalised repository name: "docker.io/library/busybox". */
export function referenceName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The short name Docker prints and stores in RepoTags: "busybox", "myuser/app", "127.0.0.1:5000/x". */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== defaultDomain) return referenceName(ref);
  const rest = ref.path.slice(officialRepoPrefix.length);
  return ref.path.startsWith(officialRepoPrefix) && !rest.includes("/") ? rest : ref.path;
}

/** "docker.io/library/busybox:latest", or the familiar "busybox:latest"; tag and digest as present. */
export function formatReference(ref: ImageReference, form: "normalized" | "familiar" = "normalized"): string {
  const name = form === "familiar" ? familiarName(ref) : referenceName(ref);
  return `${name}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

/** Docker's TagNameOnly: a reference with neither tag nor digest means ":latest". */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: "latest" } : ref;
}

/** Both references name the same image: same repository and the same tag, or the same digest. */
export function sameReference(a: ImageReference, b: ImageReference): boolean {
  if (a.domain !== b.domain || a.path !== b.path) return false;
  if (a.digest !== undefined || b.digest !== undefined) return a.digest === b.digest;
  return a.tag === b.tag;
}

function tryParse(text: string): ImageReference | string {
  if (text === "") return "it is empty";
  if (text.length > 4096) return "it is too long";
  if (fullHexId.test(text)) return "a 64-character hexadecimal string is an image id, not a repository name";
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) return `"${digest}" is not a valid digest (expected algorithm:hex, e.g. sha256:…)`;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) return `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  }
  if (rest === "") return "the repository name is empty";
  const [domain, path] = splitDomain(rest);
  if (domain !== defaultDomain && !domainRe.test(domain)) return `"${domain}" is not a valid registry host`;
  if (!pathRe.test(path)) {
    if (pathRe.test(path.toLowerCase())) return "the repository name must be lowercase";
    return `"${path}" is not a valid repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")`;
  }
  if (domain.length + 1 + path.length > maxNameLength) return `the repository name is longer than ${maxNameLength} characters`;
  return { domain, path, tag, digest };
}

/**
 * Docker's splitDockerDomain: the first component is a registry only when it looks like a host
 * (has a "." or ":", is "localhost", or has uppercase letters, which repository paths cannot).
 */
function splitDomain(name: string): [domain: string, path: string] {
  const slash = name.indexOf("/");
  const first = name.slice(0, slash);
  let domain = defaultDomain;
  let path = name;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())) {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !path.includes("/")) path = `${officialRepoPrefix}${path}`;
  return [domain, path];
}
