import { readFile } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { CriError, errorMessage } from "../../errors/index.js";
import { SecurityProfile_ProfileType, type Int64Value, type SELinuxOption, type SecurityProfile } from "../../gen/index.js";

/**
 * Docker security options ("name=value"; the old "name:value" form is deprecated) for seccomp.
 * `profile` is the CRI field, `legacyPath` the deprecated seccomp_profile_path ("runtime/default",
 * "docker/default", "unconfined", "localhost/<abs path>"), read only when `profile` is unset.
 * `whenUnset` is what no profile at all means: the kubelet's pod default is Unconfined for app
 * containers, while dockershim always gave sandboxes Docker's default profile.
 */
export async function seccompSecurityOpts(
  profile: SecurityProfile | undefined,
  legacyPath: string,
  whenUnset: "runtime-default" | "unconfined",
  read: (path: string) => Promise<string> = (p) => readFile(p, "utf8"),
): Promise<string[]> {
  let kind: "runtime-default" | "unconfined" | "localhost";
  let localhostPath = "";
  if (profile !== undefined) {
    switch (profile.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        kind = "runtime-default";
        break;
      case SecurityProfile_ProfileType.Unconfined:
        kind = "unconfined";
        break;
      case SecurityProfile_ProfileType.Localhost:
        kind = "localhost";
        localhostPath = profile.localhostRef;
        break;
      default:
        throw new CriError("InvalidArgument", `Unknown seccomp profile type ${String(profile.profileType)}`);
    }
  } else if (legacyPath === "") {
    kind = whenUnset;
  } else if (legacyPath === "runtime/default" || legacyPath === "docker/default") {
    kind = "runtime-default";
  } else if (legacyPath === "unconfined") {
    kind = "unconfined";
  } else if (legacyPath.startsWith("localhost/")) {
    kind = "localhost";
    localhostPath = legacyPath.slice("localhost/".length);
  } else {
    throw new CriError("InvalidArgument", `Invalid seccomp profile path "${legacyPath}": expected runtime/default, unconfined or localhost/<absolute path>`);
  }
  if (kind === "runtime-default") return []; // no option: Docker applies its default profile
  if (kind === "unconfined") return ["seccomp=unconfined"];
  if (!isAbsolute(localhostPath)) {
    throw new CriError("InvalidArgument", `Invalid seccomp profile "${localhostPath}": a localhost profile needs an absolute path`);
  }
  let text: string;
  try {
    text = await read(localhostPath);
  } catch (err) {
    throw new CriError("InvalidArgument", `Cannot load seccomp profile "${localhostPath}": ${errorMessage(err)}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CriError("InvalidArgument", `Cannot load seccomp profile "${localhostPath}": not JSON: ${errorMessage(err)}`, { cause: err });
  }
  // Docker takes the profile itself, not its path.
  return [`seccomp=${JSON.stringify(json)}`];
}

/** SELinux options as Docker's "label=user:…" security options. */
export function selinuxSecurityOpts(opts: SELinuxOption | undefined): string[] {
  if (opts === undefined) return [];
  const out: string[] = [];
  if (opts.user !== "") out.push(`label=user:${opts.user}`);
  if (opts.role !== "") out.push(`label=role:${opts.role}`);
  if (opts.type !== "") out.push(`label=type:${opts.type}`);
  if (opts.level !== "") out.push(`label=level:${opts.level}`);
  return out;
}

/** Docker's `User` ("uid" or "uid:gid") from run_as_user/run_as_group; a group needs a user. */
export function dockerUser(runAsUser: Int64Value | undefined, runAsGroup: Int64Value | undefined, runAsUsername = ""): string {
  // Linux ids are unsigned 32-bit and Docker refuses above 2^31-1 — but only when it starts the container.
  for (const [field, id] of [["run_as_user", runAsUser], ["run_as_group", runAsGroup]] as const) {
    if (id !== undefined && (id.value < 0n || id.value > 2147483647n)) {
      throw new CriError("InvalidArgument", `Invalid security context: ${field} ${id.value} is not between 0 and 2147483647`);
    }
  }
  const user = runAsUsername !== "" ? runAsUsername : runAsUser === undefined ? "" : runAsUser.value.toString();
  if (runAsGroup === undefined) return user;
  if (user === "") throw new CriError("InvalidArgument", "Invalid security context: run_as_group is set without run_as_user");
  return `${user}:${runAsGroup.value.toString()}`;
}
