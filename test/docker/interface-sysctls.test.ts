/**
 * `eth0` sysctls on container create: from API 1.48 Docker refuses them in `HostConfig.Sysctls`
 * (HTTP 500 "interface specific sysctl setting … must be supplied using driver option"), where up to
 * 1.47 it moved them to the endpoint's `DriverOpts` itself. We now speak 1.51, so the client makes
 * that move; below 1.48 the body goes as given. The create body is checked as a real server on a
 * unix socket receives it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DockerClient, HttpTransport } from "../../src/docker/index.js";
import { moveInterfaceSysctls } from "../../src/docker/interface-sysctls.js";
import { silentLogger } from "../../src/logger/index.js";
import { apiPath, startFakeEngine } from "../fakes/fake-engine.js";

const sysctls = { "net.ipv4.conf.eth0.forwarding": "1", "net.ipv6.conf.eth0.accept_ra": "0", "net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1" };
const body = (networkMode: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ Image: "pause", HostConfig: { NetworkMode: networkMode, Sysctls: sysctls }, ...extra });
const moved = "net.ipv4.conf.IFNAME.forwarding=1,net.ipv6.conf.IFNAME.accept_ra=0";
const kept = { "net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1" };

describe("moveInterfaceSysctls", () => {
  it("moves eth0 sysctls to the bridge endpoint's DriverOpts on API 1.48+ for Docker's default network", () => {
    assert.deepEqual(moveInterfaceSysctls(body("default"), "1.51"), {
      Image: "pause",
      HostConfig: { NetworkMode: "default", Sysctls: kept },
      NetworkingConfig: { EndpointsConfig: { bridge: { DriverOpts: { "com.docker.network.endpoint.sysctls": moved } } } },
    });
    assert.deepEqual(moveInterfaceSysctls(body("bridge"), "1.48"), {
      Image: "pause",
      HostConfig: { NetworkMode: "bridge", Sysctls: kept },
      NetworkingConfig: { EndpointsConfig: { bridge: { DriverOpts: { "com.docker.network.endpoint.sysctls": moved } } } },
    });
  });

  it("puts them on the mode's own network (none for a network plugin's pods), keeping what the endpoint already has", () => {
    const given = body("none", { NetworkingConfig: { EndpointsConfig: { none: { Aliases: ["a"], DriverOpts: { "com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.forwarding=0", other: "x" } } } } });
    assert.deepEqual(moveInterfaceSysctls(given, "1.51"), {
      Image: "pause",
      HostConfig: { NetworkMode: "none", Sysctls: kept },
      NetworkingConfig: {
        EndpointsConfig: {
          none: { Aliases: ["a"], DriverOpts: { "com.docker.network.endpoint.sysctls": `${moved},net.ipv4.conf.IFNAME.forwarding=0`, other: "x" } },
        },
      },
    });
  });

  it("leaves the body alone below 1.48, without a namespace of its own, without eth0 sysctls, and for other interfaces", () => {
    for (const v of [undefined, "1.41", "1.47"]) assert.deepEqual(moveInterfaceSysctls(body("default"), v), body("default"));
    assert.deepEqual(moveInterfaceSysctls(body("host"), "1.51"), body("host"));
    assert.deepEqual(moveInterfaceSysctls(body(`container:${"a".repeat(64)}`), "1.51"), body(`container:${"a".repeat(64)}`));
    const plain = { Image: "x", HostConfig: { NetworkMode: "default", Sysctls: kept } };
    assert.deepEqual(moveInterfaceSysctls(plain, "1.51"), plain);
    const eth1 = { Image: "x", HostConfig: { NetworkMode: "default", Sysctls: { "net.ipv4.conf.eth1.forwarding": "1" } } };
    assert.deepEqual(moveInterfaceSysctls(eth1, "1.51"), eth1);
    assert.deepEqual(moveInterfaceSysctls({ Image: "x" }, "1.51"), { Image: "x" });
  });
});

describe("ContainersApi.create and eth0 sysctls", () => {
  async function createdBody(apiVersion: string): Promise<unknown> {
    const engine = await startFakeEngine([{ method: "POST", path: apiPath("/containers/create"), status: 201, json: { Id: "c".repeat(64), Warnings: [] } }], { apiVersion, minApiVersion: "1.24" });
    const transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 });
    const docker = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 5000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
    try {
      await docker.negotiate();
      assert.equal((await docker.containers.create("k8s_POD_x", body("default"))).id, "c".repeat(64));
      const req = engine.requests.find((r) => r.pathname.endsWith("/containers/create"));
      assert.ok(req !== undefined);
      assert.equal(req.url, `/v${apiVersion}/containers/create?name=k8s_POD_x`);
      return JSON.parse(req.body);
    } finally {
      await docker.close();
      await engine.close();
    }
  }

  it("sends them as endpoint DriverOpts to a 1.51 engine", async () => {
    assert.deepEqual(await createdBody("1.51"), {
      Image: "pause",
      HostConfig: { NetworkMode: "default", Sysctls: kept },
      NetworkingConfig: { EndpointsConfig: { bridge: { DriverOpts: { "com.docker.network.endpoint.sysctls": moved } } } },
    });
  });

  it("sends them as given to a 1.41 engine, which applies them itself", async () => {
    assert.deepEqual(await createdBody("1.41"), body("default"));
  });
});
