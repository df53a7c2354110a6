import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DockerApiError } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { probeDockerCapabilities } from "./host-security.js";

/** A create that refuses, as Docker 20.10 does, the first capability it does not know, then the image. */
function dockerKnowing(known: readonly string[]) {
  const asked: string[][] = [];
  const create = (_name: string, body: Readonly<Record<string, unknown>>) => {
    const hostConfig = body.HostConfig as { CapAdd: string[] }; // what probeDockerCapabilities sends
    asked.push([...hostConfig.CapAdd]);
    const unknown = hostConfig.CapAdd.find((c) => !known.includes(c));
    const [kind, status, message] = unknown === undefined
      ? (["NotFound", 404, "No such image: docker-cri.invalid/capability-probe:none"] as const)
      : (["InvalidArgument", 400, `invalid CapAdd: unknown capability: "${unknown}"`] as const);
    return Promise.reject(new CriError(kind, `Docker "create_container" failed: ${message}`, { cause: new DockerApiError("create_container", status, message) }));
  };
  return { asked, containers: { create, remove: () => Promise.reject(new Error("nothing is created")) } };
}

describe("probeDockerCapabilities", () => {
  it("finds every capability Docker refuses, one per answer", async () => {
    const docker = dockerKnowing(["CAP_CHOWN", "CAP_KILL"]);
    const unknown = await probeDockerCapabilities(docker.containers, ["CAP_CHOWN", "CAP_PERFMON", "CAP_KILL", "CAP_BPF"], AbortSignal.timeout(5_000));
    assert.deepEqual(unknown, ["CAP_PERFMON", "CAP_BPF"]);
    assert.deepEqual(docker.asked, [["CAP_CHOWN", "CAP_PERFMON", "CAP_KILL", "CAP_BPF"], ["CAP_CHOWN", "CAP_KILL", "CAP_BPF"], ["CAP_CHOWN", "CAP_KILL"]]);
  });

  it("stops at a refusal that names no capability it asked for", async () => {
    const containers = {
      create: () => Promise.reject(new CriError("Unavailable", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock: connection refused")),
      remove: () => Promise.resolve(),
    };
    assert.deepEqual(await probeDockerCapabilities(containers, ["CAP_CHOWN"], AbortSignal.timeout(5_000)), []);
  });
});
