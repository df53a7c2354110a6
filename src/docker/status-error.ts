import { CriError, type ErrorKind } from "../errors/index.js";

/** Why Docker (runc, for the first three) refused to start a container, read from its answer. */
export type StartRefusal =
  | { readonly reason: "executable-not-in-path" | "executable-missing" | "not-executable"; readonly executable: string }
  | { readonly reason: "unresolvable-cdi-devices"; readonly devices: string };

/**
 * The daemon's own answer to a failed call, kept as the `cause` of the CriError so that logs still
 * show the HTTP status and Docker's text verbatim. What callers act on in that text is read here,
 * once, into typed fields; nothing outside docker/ reads Docker's wording.
 */
export class DockerApiError extends Error {
  readonly operation: string;
  readonly statusCode: number;
  readonly dockerMessage: string;
  /** A name conflict's holder, the container id Docker names in it. */
  readonly holderId: string | undefined;
  /** The capability a create was refused for, as Docker names it (upper case). */
  readonly unknownCapability: string | undefined;
  /** Why a start was refused, where Docker's text says so in a way worth telling plainly. */
  readonly startRefusal: StartRefusal | undefined;

  constructor(operation: string, statusCode: number, dockerMessage: string) {
    super(`Docker "${operation}" answered HTTP ${statusCode}: ${dockerMessage}`);
    this.name = "DockerApiError";
    this.operation = operation;
    this.statusCode = statusCode;
    this.dockerMessage = dockerMessage;
    this.holderId = nameHolderIn(dockerMessage);
    this.unknownCapability = unknownCapabilityIn(dockerMessage);
    this.startRefusal = startRefusalIn(dockerMessage);
  }
}

/** The DockerApiError behind an error, if a Docker answer is what it comes from. */
export function dockerApiErrorOf(err: unknown): DockerApiError | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur instanceof Error; depth++) {
    if (cur instanceof DockerApiError) return cur;
    cur = cur.cause;
  }
  return undefined;
}

// Docker's name conflict names the holder: `Conflict. The container name "/x" is already in use by
// container "3f2a…". You have to remove (or rename) that container to be able to reuse that name.`
// (20.10 and newer alike; older ones wrote the id without quotes).
const holderInConflict = /already in use by container "?([0-9a-f]{12,64})"?/;

function nameHolderIn(dockerMessage: string): string | undefined {
  return holderInConflict.exec(dockerMessage)?.[1];
}

// Docker checks CapAdd before anything else of a create and names the first capability it does not
// know: `invalid CapAdd: unknown capability: "CAP_PERFMON"`.
const unknownCapability = /unknown capability: "?([A-Z_]+)"?/i;

function unknownCapabilityIn(dockerMessage: string): string | undefined {
  return unknownCapability.exec(dockerMessage)?.[1]?.toUpperCase();
}

// runc's refusals of the process to run, in Docker's start answer whatever runc's wrapping
// ("OCI runtime create failed: container_linux.go:380: starting container process caused: exec: …"
// with Docker 20.10, "runc create failed: unable to start container process: exec: …" later).
const executableNotInPath = /exec: "([^"]*)": executable file not found in \$PATH/;
const executableMissing = /exec: "([^"]*)": (?:stat [^:]*: )?no such file or directory/;
const notExecutable = /exec: "([^"]*)": permission denied/;
// Docker before API 1.50 cannot list its CDI devices, so they are only checked when it starts a container.
const unresolvableCdiDevices = /unresolvable CDI devices ([^\n]*)/;

function startRefusalIn(dockerMessage: string): StartRefusal | undefined {
  const notInPath = executableNotInPath.exec(dockerMessage);
  if (notInPath !== null) return { reason: "executable-not-in-path", executable: notInPath[1] ?? "" };
  const missing = executableMissing.exec(dockerMessage);
  if (missing !== null) return { reason: "executable-missing", executable: missing[1] ?? "" };
  const denied = notExecutable.exec(dockerMessage);
  if (denied !== null) return { reason: "not-executable", executable: denied[1] ?? "" };
  const cdi = unresolvableCdiDevices.exec(dockerMessage);
  if (cdi !== null) return { reason: "unresolvable-cdi-devices", devices: cdi[1] ?? "" };
  return undefined;
}

// Docker answers 409 both for name conflicts ("Conflict. The container name "/x" is already in use
// by container …", "network with name x already exists") and for state conflicts ("Container x is
// not running", "is paused", "removal … is already in progress"). Only the former mean AlreadyExists;
// the HTTP status alone cannot tell them apart, so this is the one place that reads Docker's text.
const nameConflict = /is already in use|already exists/i;
// Docker answers 500 when a container stopped between a caller's check and an update (containerd no
// longer has its task): a state conflict like a 409, not a daemon failure.
// Docker also answers 500 when a container's CDI devices are defined by no spec it has (it resolves
// them only at start, before API 1.50 it cannot list them in advance): the node lacks the device.
const stateConflict = /cannot update a stopped container|unresolvable CDI devices/i;
const goneReference = /^No such container: /;
// Docker 20.10 runs one /system/df at a time and answers 500 to a second: busy, try again shortly.
const busy = /a disk usage operation is already running/i;

/** Maps a non-2xx (other than 304) Docker answer to the error kind callers branch on. */
export function errorForStatus(operation: string, statusCode: number, body: unknown): CriError {
  const dockerMessage = messageOf(body, statusCode);
  const cause = new DockerApiError(operation, statusCode, dockerMessage);
  return new CriError(kindForStatus(statusCode, dockerMessage), `Docker "${operation}" failed: ${dockerMessage}`, { cause });
}

function kindForStatus(statusCode: number, dockerMessage: string): ErrorKind {
  switch (statusCode) {
    // Docker answers 400 when a container it is asked to join (network or IPC mode "container:<id>")
    // is gone — a pod sandbox removed between a caller's check and the create: not found, not invalid.
    case 400:
      return goneReference.test(dockerMessage) ? "NotFound" : "InvalidArgument";
    case 404:
      return "NotFound";
    // Go's HTTP server redirects a path it had to clean ("//", "..", "." segments): the id or name
    // put in it held slashes or dots and so cannot name any Docker object.
    case 301:
    case 307:
    case 308:
      return "NotFound";
    // Go's HTTP server refuses a request line or headers over 1 MiB (431) and a URI it cannot take (414):
    // an id, name or filter far longer than any Docker object has.
    case 414:
    case 431:
      return "InvalidArgument";
    case 409:
      return nameConflict.test(dockerMessage) ? "AlreadyExists" : "FailedPrecondition";
    // Docker's errdefs: Unauthorized → 401, Forbidden → 403 (e.g. registry auth, plugin authz);
    // the caller has to change something before a retry can work.
    case 401:
    case 403:
      return "FailedPrecondition";
    // errdefs.NotImplemented and errdefs.Unavailable have their own statuses and kinds.
    case 501:
      return "Unimplemented";
    case 503:
      return "Unavailable";
    case 500:
      return stateConflict.test(dockerMessage) ? "FailedPrecondition" : busy.test(dockerMessage) ? "Unavailable" : "Internal";
    default:
      return "Internal";
  }
}

/** Docker's errors are `{"message": "..."}`; proxies and old daemons may answer plain text. */
function messageOf(body: unknown, statusCode: number): string {
  // The redirect's own body is an HTML link to the cleaned path, which says nothing useful.
  if (statusCode === 301 || statusCode === 307 || statusCode === 308) return `HTTP ${statusCode}: the name holds path elements ("/", ".."), so it cannot name a Docker object`;
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string" && body.message !== "") {
    return body.message;
  }
  if (typeof body === "string" && body.trim() !== "") return body.trim();
  return `HTTP ${statusCode} with no message`;
}
