import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ContainerConfigSchema, MountPropagation, NamespaceMode, SecurityProfile_ProfileType, Signal, type ContainerConfig } from "../../gen/index.js";
import { capabilityNames } from "../../host/host-limits.js";
import { capabilityEnvironment } from "./capabilities.js";
import { containerDockerConfig, type ContainerDockerConfigInput } from "./container-config.js";

type Init = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;
const sandboxId = "a".repeat(64);
const all = capabilityNames.slice(0, 41);
const fullHost = capabilityEnvironment(all, 40);
const limitedHost = capabilityEnvironment(all.filter((c) => c !== "CAP_SYS_RESOURCE"), 40, ["CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]);

function input(init: Init, over: Partial<ContainerDockerConfigInput> = {}): ContainerDockerConfigInput {
  return {
    config: create(ContainerConfigSchema, { metadata: { name: "c", attempt: 0 }, image: { image: "busybox" }, ...init }),
    sandboxId,
    sandboxRuntime: "runc",
    cgroupParent: "/kubepods/pod1",
    logPath: "/var/log/pods/ns_p_u/c/0.log",
    minOomScoreAdj: -1000,
    capabilities: fullHost,
    apparmorEnabled: true,
    engine: { dockerVersion: "20.10.24", apiVersion: "1.41", kernelVersion: "6.1.0", bindReadOnlyOptions: false, recursiveReadOnly: false, imageVolumes: false, imageVolumeSubpath: false, cdi: false },
    hostDevices: () => Promise.resolve(["/dev/kvm", "/dev/vda"]),
    ...over,
  };
}

const hostConfig = (body: Record<string, unknown>): Record<string, unknown> => {
  const h: unknown = body.HostConfig;
  assert.ok(typeof h === "object" && h !== null);
  return h as Record<string, unknown>; // checked to be an object just above
};

describe("ContainerConfig → Docker create body", () => {
  it("maps the whole config as dockershim did", async () => {
    const { body, privilegedMode } = await containerDockerConfig(input({
      command: ["/bin/app"],
      args: ["--port", "80"],
      workingDir: "/srv",
      envs: [{ key: "A", value: Buffer.from("1") }],
      labels: { l: "v" },
      annotations: { a: "b" },
      stdin: true,
      stdinOnce: true,
      tty: true,
      stopSignal: Signal.SIGRTMINPLUS1,
      mounts: [
        { hostPath: "/h/ro", containerPath: "/ro", readonly: true, selinuxRelabel: true },
        { hostPath: "/h/shared", containerPath: "/s", propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL },
        { hostPath: "/h/slave", containerPath: "/sl", propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER },
      ],
      devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "" }],
      linux: {
        resources: { cpuShares: 2n, cpuQuota: 10_000n, cpuPeriod: 100_000n, memoryLimitInBytes: 1024n * 1024n * 100n, oomScoreAdj: -997n, cpusetCpus: "0-1", cpusetMems: "0", hugepageLimits: [{ pageSize: "2MB", limit: 0n }] },
        securityContext: { runAsUser: { value: 10n }, runAsGroup: { value: 20n }, supplementalGroups: [30n], noNewPrivs: true, readonlyRootfs: true, capabilities: { addCapabilities: ["NET_ADMIN"], dropCapabilities: ["ALL"] }, namespaceOptions: { pid: NamespaceMode.POD } },
      },
    }));
    assert.equal(privilegedMode, "none");
    assert.deepEqual(
      { ...body, HostConfig: undefined },
      {
        Image: "busybox",
        Entrypoint: ["/bin/app"],
        Cmd: ["--port", "80"],
        WorkingDir: "/srv",
        Env: ["A=1"],
        Labels: { l: "v", "annotation.a": "b", "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": sandboxId, "io.kubernetes.container.logpath": "/var/log/pods/ns_p_u/c/0.log" },
        OpenStdin: true,
        StdinOnce: true,
        Tty: true,
        User: "10:20",
        StopSignal: "SIGRTMIN+1",
        Healthcheck: { Test: ["NONE"] },
        HostConfig: undefined,
      },
    );
    const h = hostConfig(body);
    assert.deepEqual(h.Binds, ["/h/ro:/ro:ro,Z", "/h/shared:/s:rshared", "/h/slave:/sl:rslave"]);
    assert.deepEqual(h.Devices, [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }]);
    assert.deepEqual([h.NetworkMode, h.IpcMode, h.PidMode, h.UTSMode], [`container:${sandboxId}`, `container:${sandboxId}`, `container:${sandboxId}`, undefined]);
    assert.deepEqual([h.CpuShares, h.CpuQuota, h.CpuPeriod, h.Memory, h.MemorySwap, h.CpusetCpus, h.CpusetMems, h.OomScoreAdj], [2, 10000, 100000, 104857600, 104857600, "0-1", "0", -997]);
    assert.deepEqual([h.GroupAdd, h.ReadonlyRootfs, h.Privileged, h.CapAdd, h.CapDrop], [["30"], true, false, ["CAP_NET_ADMIN"], ["ALL"]]);
    assert.deepEqual(h.SecurityOpt, ["seccomp=unconfined", "no-new-privileges"]);
    assert.deepEqual([h.CgroupParent, h.ShmSize, h.Runtime, h.RestartPolicy], ["/kubepods/pod1", 67108864, "runc", { Name: "no" }]);
  });

  it("keeps the image's entrypoint and cmd when none are given, and clamps the OOM score", async () => {
    const { body } = await containerDockerConfig(input({ linux: { resources: { oomScoreAdj: -998n } } }, { minOomScoreAdj: 0 }));
    assert.equal("Entrypoint" in body, false);
    assert.equal("Cmd" in body, false);
    assert.equal(hostConfig(body).OomScoreAdj, 0);
  });

  it("uses Docker's privileged mode on a host with a full bounding set", async () => {
    const { body, privilegedMode } = await containerDockerConfig(input({ linux: { securityContext: { privileged: true, capabilities: { dropCapabilities: ["KILL"] } } } }));
    assert.equal(privilegedMode, "docker");
    const h = hostConfig(body);
    assert.deepEqual([h.Privileged, h.CapAdd, h.CapDrop, h.SecurityOpt, h.MaskedPaths], [true, undefined, undefined, [], undefined]);
  });

  it("spells privileged out with the host's capabilities where the bounding set is not full", async () => {
    const { body, privilegedMode } = await containerDockerConfig(input({ linux: { securityContext: { privileged: true } }, devices: [{ hostPath: "/dev/vda", containerPath: "/dev/vda", permissions: "r" }] }, { capabilities: limitedHost }));
    assert.equal(privilegedMode, "host-capabilities");
    const h = hostConfig(body);
    assert.equal(h.Privileged, false);
    assert.deepEqual(h.CapAdd, limitedHost.bounding);
    assert.ok(Array.isArray(h.CapAdd) && !h.CapAdd.includes("CAP_SYS_RESOURCE") && !h.CapAdd.includes("CAP_BPF"));
    assert.deepEqual(h.SecurityOpt, ["seccomp=unconfined", "apparmor=unconfined", "label=disable"]);
    assert.deepEqual([h.MaskedPaths, h.ReadonlyPaths, h.DeviceCgroupRules], [[], [], ["a *:* rwm"]]);
    assert.deepEqual(h.Binds, ["/sys:/sys:rw"]);
    // The container's own mapping of a device wins over the privileged copy.
    assert.deepEqual(h.Devices, [
      { PathOnHost: "/dev/kvm", PathInContainer: "/dev/kvm", CgroupPermissions: "rwm" },
      { PathOnHost: "/dev/vda", PathInContainer: "/dev/vda", CgroupPermissions: "r" },
    ]);
  });

  it("maps PID, IPC and network namespace options", async () => {
    const modes = async (ns: Init["linux"]) => hostConfig((await containerDockerConfig(input({ linux: ns }))).body);
    const node = await modes({ securityContext: { namespaceOptions: { pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE, network: NamespaceMode.NODE } } });
    assert.deepEqual([node.PidMode, node.IpcMode, node.UTSMode, node.NetworkMode], ["host", "host", "host", `container:${sandboxId}`]);
    const target = await modes({ securityContext: { namespaceOptions: { pid: NamespaceMode.TARGET, targetId: "b".repeat(64) } } });
    assert.equal(target.PidMode, `container:${"b".repeat(64)}`);
    await assert.rejects(modes({ securityContext: { namespaceOptions: { pid: NamespaceMode.TARGET } } }), /TARGET needs the target container's id/);
    assert.equal((await modes({ securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } })).PidMode, undefined, "its own");
    assert.equal((await modes({ securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.NODE } } } })).PidMode, `container:${sandboxId}`, "unset is POD");
    assert.equal((await modes(undefined)).PidMode, `container:${sandboxId}`, "no options at all: POD too");
  });

  it("writes AppArmor profiles from the field or the deprecated string, and refuses what it cannot apply", async () => {
    const opts = async (sc: NonNullable<Init["linux"]>["securityContext"], apparmorEnabled = true) => hostConfig((await containerDockerConfig(input({ linux: { securityContext: sc } }, { apparmorEnabled }))).body).SecurityOpt;
    assert.deepEqual(await opts({ apparmor: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "localhost/my-prof" } }), ["seccomp=unconfined", "apparmor=my-prof"]);
    // The deprecated string is what older kubelets send; reading it is the point here.
    const legacy = (apparmorProfile: string) => ({ apparmorProfile });
    assert.deepEqual(await opts(legacy("unconfined")), ["seccomp=unconfined", "apparmor=unconfined"]);
    assert.deepEqual(await opts(legacy("runtime/default")), ["seccomp=unconfined"]);
    await assert.rejects(opts(legacy("localhost/p"), false), /AppArmor is not enabled on this host/);
    await assert.rejects(opts(legacy("weird")), /Invalid AppArmor profile "weird"/);
  });

  it("sends structured mounts beside the bind strings, and passes the mount notes on", async () => {
    const docker28 = { dockerVersion: "28.5.2", apiVersion: "1.51", kernelVersion: "6.18.0", bindReadOnlyOptions: true, recursiveReadOnly: true, imageVolumes: true, imageVolumeSubpath: true, cdi: true };
    const { body, notes } = await containerDockerConfig(
      input(
        {
          mounts: [
            { hostPath: "/rw", containerPath: "/rw" },
            { hostPath: "/h", containerPath: "/c", readonly: true, recursiveReadOnly: true },
            { hostPath: "/z", containerPath: "/z", readonly: true, selinuxRelabel: true },
          ],
        },
        { engine: docker28 },
      ),
    );
    assert.deepEqual(hostConfig(body).Binds, ["/rw:/rw", "/z:/z:ro,Z"]);
    assert.deepEqual(hostConfig(body).Mounts, [{ Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true, CreateMountpoint: true } }]);
    assert.equal(notes.length, 1);
    const plain = await containerDockerConfig(input({ mounts: [{ hostPath: "/rw", containerPath: "/rw" }] }));
    assert.equal(hostConfig(plain.body).Mounts, undefined, "no Mounts field when every mount is a bind string");
    await assert.rejects(containerDockerConfig(input({ mounts: [{ hostPath: "/h", containerPath: "/c", recursiveReadOnly: true }] }, { engine: docker28 })), /needs readonly set and private propagation/);
  });

  it("asks Docker's CDI driver for CDI devices where the engine has CDI, and refuses them elsewhere", async () => {
    const cdiEngine = { dockerVersion: "28.5.2", apiVersion: "1.51", kernelVersion: "6.18.0", bindReadOnlyOptions: true, recursiveReadOnly: true, imageVolumes: true, imageVolumeSubpath: true, cdi: true };
    const { body } = await containerDockerConfig(input({ CDIDevices: [{ name: "vendor.com/gpu=0" }] }, { engine: cdiEngine }));
    assert.deepEqual(hostConfig(body).DeviceRequests, [{ Driver: "cdi", DeviceIDs: ["vendor.com/gpu=0"] }]);
    assert.equal(hostConfig((await containerDockerConfig(input({}, { engine: cdiEngine }))).body).DeviceRequests, undefined);
    await assert.rejects(containerDockerConfig(input({ CDIDevices: [{ name: "vendor.com/gpu=0" }] })), /reports no CDI spec directories/);
  });
});
