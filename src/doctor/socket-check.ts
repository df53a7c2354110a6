import { lstat } from "node:fs/promises";
import { connect } from "node:net";
import { fail, ok, warn, type CheckResult } from "./doctor-check.js";
import { groupName } from "./group-name.js";

/** Where packaging/systemd/docker-cri.socket listens; what fd:// serves in the packaged setup. */
export const systemdSocketPath = "/run/docker-cri.sock";

function serving(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    s.once("connect", () => { clearTimeout(timer); s.destroy(); resolve(true); });
    s.once("error", () => { clearTimeout(timer); resolve(false); });
  });
}

/**
 * The CRI socket: whoever can open it controls every container on the node, so it should be 0660 and
 * owned by root and a trusted group. `endpoint` is a socket path, or "fd" for systemd activation.
 */
export async function checkCriSocket(endpoint: { kind: "unix"; path: string } | { kind: "fd"; text: string }): Promise<CheckResult> {
  const path = endpoint.kind === "unix" ? endpoint.path : systemdSocketPath;
  const via = endpoint.kind === "fd" ? `${endpoint.text} (systemd socket activation; docker-cri.socket listens on "${path}")` : `"${path}"`;
  let st;
  try {
    st = await lstat(path);
  } catch {
    if (endpoint.kind === "fd") return warn("CRI socket", `${via}: no socket there yet`, "systemctl enable --now docker-cri.socket");
    return ok("CRI socket", `${via} does not exist yet; docker-cri creates it with mode 0660 at start`);
  }
  if (!st.isSocket()) return fail("CRI socket", `"${path}" exists and is not a socket: docker-cri will refuse to start`, "Remove it, or choose another --container-runtime-endpoint");
  const mode = st.mode & 0o777;
  const group = (await groupName(st.gid)) ?? `gid ${st.gid}`;
  const owner = `owner uid ${st.uid}, group "${group}", mode ${mode.toString(8).padStart(4, "0")}`;
  const live = await serving(path, 2_000);
  const state = live ? "something serves on it (a running docker-cri, or another runtime)" : "nothing serves on it (left by a stopped run; docker-cri replaces it)";
  if ((mode & 0o007) !== 0) {
    return warn("CRI socket", `${via}: ${owner} — every user on this host can use it and so control all containers; ${state}`, "It should be mode 0660: docker-cri creates it so; for systemd set SocketMode=0660 in docker-cri.socket");
  }
  if (st.uid !== 0) return warn("CRI socket", `${via}: ${owner} — not owned by root; ${state}`);
  return ok("CRI socket", `${via}: ${owner}; ${state}`);
}

/** --remote-runtime-endpoint: a unix socket something serves on. */
export async function checkRemoteSocket(endpoint: string): Promise<CheckResult> {
  const path = endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint;
  if (!path.startsWith("/")) return fail("Remote runtime", `"${endpoint}" is not a unix socket: use unix:///path`);
  if (await serving(path, 2_000)) return ok("Remote runtime", `something serves on "${path}"`);
  return fail("Remote runtime", `nothing serves on "${path}": every call will answer Unavailable`, "Start the remote runtime, or fix --remote-runtime-endpoint");
}
