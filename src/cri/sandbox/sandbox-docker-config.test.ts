import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { NamespaceMode, PodSandboxConfigSchema, Protocol, SecurityProfile_ProfileType, type PodSandboxConfig } from "../../gen/index.js";
import { sandboxDockerConfig, type SandboxDockerConfigInput } from "./sandbox-docker-config.js";

type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, PodSandboxConfig>;

const base = (over: Partial<SandboxDockerConfigInput> = {}, config: PodInit = {}): SandboxDockerConfigInput => ({
  config: create(PodSandboxConfigSchema, { metadata: { name: "p", namespace: "n", uid: "u", attempt: 0 }, ...config }),
  image: "registry.k8s.io/pause:3.10",
  runtimeHandler: "",
  dockerRuntime: undefined,
  podNetworkMode: "default",
  cgroupDriver: "cgroupfs",
  minOomScoreAdj: -1000,
  capabilities: { full: true, bounding: [] },
  ...over,
});

describe("sandbox Docker config", () => {
  it("has dockershim's defaults: shareable IPC, Docker's network, no-new-privileges, OOM -998, 2 CPU shares", async () => {
    const body = await sandboxDockerConfig(base());
    assert.equal(body.Image, "registry.k8s.io/pause:3.10");
    assert.deepEqual(body.Labels, { "io.kubernetes.docker.type": "podsandbox", "io.kubernetes.container.name": "POD" });
    const hc = body.HostConfig as Record<string, unknown>; // built by sandboxDockerConfig as a plain object
    assert.equal(hc.NetworkMode, "default");
    assert.equal(hc.IpcMode, "shareable");
    assert.equal(hc.ShmSize, 64 * 1024 * 1024, "the pod's /dev/shm is 64 MiB");
    assert.equal(hc.PidMode, undefined);
    assert.deepEqual(hc.SecurityOpt, ["no-new-privileges"]);
    assert.equal(hc.OomScoreAdj, -998);
    assert.equal(hc.CpuShares, 2);
    assert.equal(hc.Runtime, undefined);
    assert.equal(body.User, undefined);
  });

  it("makes a privileged pod's pause container privileged, with the host's capabilities where Docker's privileged mode cannot start", async () => {
    const privileged: PodInit = { linux: { securityContext: { privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } };
    const full = (await sandboxDockerConfig(base({}, privileged))).HostConfig as Record<string, unknown>; // see above
    assert.equal(full.Privileged, true);
    assert.equal(full.CapAdd, undefined);
    const limited = (await sandboxDockerConfig(base({ capabilities: { full: false, bounding: ["CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"] } }, privileged))).HostConfig as Record<string, unknown>; // see above
    assert.equal(limited.Privileged, false);
    assert.deepEqual(limited.CapAdd, ["CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);
    assert.deepEqual(limited.SecurityOpt, ["no-new-privileges", "seccomp=unconfined", "apparmor=unconfined", "label=disable"]);
    const plain = (await sandboxDockerConfig(base({ capabilities: { full: false, bounding: ["CAP_CHOWN"] } }))).HostConfig as Record<string, unknown>; // see above
    assert.equal(plain.Privileged, false);
    assert.equal(plain.CapAdd, undefined, "an unprivileged pod gets Docker's default capabilities");
  });

  it("clamps the OOM score to what the host allows", async () => {
    const hc = (await sandboxDockerConfig(base({ minOomScoreAdj: 0 }))).HostConfig as Record<string, unknown>; // see above
    assert.equal(hc.OomScoreAdj, 0);
  });

  it("applies host namespaces, ports, sysctls, cgroup parent, runtime, labels and security context", async () => {
    const body = await sandboxDockerConfig(base(
      { podNetworkMode: "none", runtimeHandler: "fast", dockerRuntime: "fast", cgroupDriver: "systemd" },
      {
        hostname: "h1",
        labels: { app: "x" },
        annotations: { note: "y" },
        portMappings: [{ protocol: Protocol.UDP, containerPort: 53, hostPort: 1053, hostIp: "127.0.0.1" }],
        linux: {
          cgroupParent: "/kubepods.slice/kubepods-pod1.slice",
          sysctls: { "kernel.shm_rmid_forced": "1" },
          securityContext: {
            namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE },
            runAsUser: { value: 65534n },
            runAsGroup: { value: 65534n },
            supplementalGroups: [5n],
            readonlyRootfs: true,
            seccomp: { profileType: SecurityProfile_ProfileType.Unconfined },
            selinuxOptions: { type: "spc_t" },
          },
        },
      },
    ));
    const hc = body.HostConfig as Record<string, unknown>; // see above
    assert.equal(body.Hostname, "h1");
    assert.equal(body.User, "65534:65534");
    assert.deepEqual(body.Labels, { app: "x", "annotation.note": "y", "io.kubernetes.docker.type": "podsandbox", "io.kubernetes.container.name": "POD", "io.kubernetes.docker-cri.runtime-handler": "fast" });
    assert.deepEqual(body.ExposedPorts, { "53/udp": {} });
    assert.deepEqual(hc.PortBindings, { "53/udp": [{ HostIp: "127.0.0.1", HostPort: "1053" }] });
    assert.equal(hc.NetworkMode, "host", "host network wins over the plugin's mode");
    assert.equal(hc.PidMode, "host");
    assert.equal(hc.IpcMode, "host");
    assert.equal(hc.ShmSize, undefined, "host IPC keeps the host's /dev/shm");
    assert.deepEqual(hc.Sysctls, { "kernel.shm_rmid_forced": "1" });
    assert.equal(hc.CgroupParent, "kubepods-pod1.slice");
    assert.equal(hc.Runtime, "fast");
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.GroupAdd, ["5"]);
    assert.deepEqual(hc.SecurityOpt, ["no-new-privileges", "seccomp=unconfined", "label=type:spc_t"]);
  });

  it("uses the network plugin's mode when the pod has its own network", async () => {
    const hc = (await sandboxDockerConfig(base({ podNetworkMode: "none" }))).HostConfig as Record<string, unknown>; // see above
    assert.equal(hc.NetworkMode, "none");
  });

  it("reads the deprecated seccomp path when no profile is set", async () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated field is what this test exercises
    const config: PodInit = { linux: { securityContext: { seccompProfilePath: "unconfined" } } };
    const hc = (await sandboxDockerConfig(base({}, config))).HostConfig as Record<string, unknown>; // see above
    assert.deepEqual(hc.SecurityOpt, ["no-new-privileges", "seccomp=unconfined"]);
  });
});
