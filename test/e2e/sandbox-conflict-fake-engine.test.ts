/**
 * The one name-conflict path a real dockerd cannot be made to take on demand: Docker reports the
 * sandbox's name taken, and then fails to remove the stale container holding it. docker-cri must
 * then create the sandbox under a randomized name (dockershim's recovery) and still succeed.
 * Everything else about conflicts runs against the real daemon in sandbox-recovery.test.ts.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { RuntimeService } from "../../src/gen/index.js";
import { apiPath, startFakeEngine, type FakeEngine, type RecordedRequest } from "../fakes/fake-engine.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";

const pauseImage = "docker-cri-test/pause:latest";
const metadata = { name: "web", namespace: "default", uid: "0d3c9b6e-1f2a-4b1e-9a77-5c1b2e3d4f50", attempt: 0 };
const podName = `k8s_POD_${metadata.name}_${metadata.namespace}_${metadata.uid}_0`;
const staleId = "5".repeat(64);
const newId = "c".repeat(64);

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Api-Version": "1.41" }).end(JSON.stringify(body));
}

describe("sandbox name conflict whose holder Docker cannot remove (fake engine)", () => {
  let engine: FakeEngine;
  let daemon: Daemon;
  let started = false;

  before(async () => {
    engine = await startFakeEngine([
      { method: "GET", path: /^(?:\/v[\d.]+)?\/images\/.+\/json$/, json: { Id: "sha256:".padEnd(71, "0"), RepoTags: [pauseImage] } },
      {
        method: "POST",
        path: apiPath("/containers/create"),
        handler: (_req, res, rec: RecordedRequest) => {
          if (rec.query.get("name") === podName) {
            json(res, 409, { message: `Conflict. The container name "/${podName}" is already in use by container "${staleId}". You have to remove (or rename) that container to be able to reuse that name.` });
          } else {
            json(res, 201, { Id: newId, Warnings: [] });
          }
        },
      },
      {
        method: "GET",
        path: apiPath(`/containers/${podName}/json`),
        json: { Id: staleId, Name: `/${podName}`, State: { Status: "created", Running: false }, Config: { Labels: { "io.kubernetes.docker.type": "podsandbox" } } },
      },
      { method: "DELETE", path: apiPath(`/containers/${staleId}`), status: 500, json: { message: "driver \"overlay2\" failed to remove root filesystem: device or resource busy" } },
      { method: "POST", path: apiPath(`/containers/${newId}/start`), status: 204 },
      {
        method: "GET",
        path: apiPath(`/containers/${newId}/json`),
        json: { Id: newId, Name: "/x", Created: "2024-05-01T10:00:00.5Z", State: { Status: "running", Running: true, Pid: process.pid }, Config: { Labels: {} }, HostConfig: { NetworkMode: "default" } },
      },
    ]);
    daemon = await startDaemon({ args: [`--docker-endpoint=${engine.endpoint}`, `--pod-infra-container-image=${pauseImage}`] });
    started = true;
  });
  after(async () => {
    if (started) {
      await daemon.stop();
      await daemon.cleanup();
    }
    await engine.close();
  });

  it("creates the sandbox under a randomized name and returns it", async () => {
    const r = await daemon.client().call(RuntimeService.method.runPodSandbox, { config: { metadata } });
    assert.equal(r.podSandboxId, newId);
    // Only the sandbox's creates: start-up also probes Docker's capability list with a create that
    // names no container.
    const creates = engine.requests
      .filter((q) => q.method === "POST" && q.pathname.endsWith("/containers/create") && (q.query.get("name") ?? "").startsWith("k8s_POD_"))
      .map((q) => q.query.get("name") ?? "");
    assert.equal(creates.length, 2);
    assert.equal(creates[0], podName);
    assert.match(creates[1] ?? "", new RegExp(`^${podName}_[0-9a-f]{8}$`));
    assert.ok(engine.requests.some((q) => q.method === "DELETE" && q.pathname.endsWith(`/containers/${staleId}`)), "it tried to remove the stale holder first");
    assert.match(daemon.stderr(), /Cannot remove the container that holds the sandbox name; creating under a randomized name/);
  });
});
