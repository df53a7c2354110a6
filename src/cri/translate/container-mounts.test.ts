import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { MountPropagation, MountSchema, type Mount } from "../../gen/index.js";
import { hasKind } from "../../errors/index.js";
import { containerMounts, type MountEngine } from "./container-mounts.js";

type Init = Exclude<MessageInitShape<typeof MountSchema>, Mount>;
const mounts = (...inits: Init[]): Mount[] => inits.map((i) => create(MountSchema, i));

const docker20: MountEngine = { dockerVersion: "20.10.24", apiVersion: "1.41", kernelVersion: "6.1.0", bindReadOnlyOptions: false, recursiveReadOnly: false, imageVolumes: false, imageVolumeSubpath: false };
const docker26: MountEngine = { ...docker20, dockerVersion: "26.1.5", apiVersion: "1.45", bindReadOnlyOptions: true, recursiveReadOnly: true };
const docker26OldKernel: MountEngine = { ...docker26, kernelVersion: "5.10.0", recursiveReadOnly: false };
const docker28: MountEngine = { ...docker26, dockerVersion: "28.5.2", apiVersion: "1.51", imageVolumes: true, imageVolumeSubpath: true };

const rejects = (fn: () => unknown, kind: string, text: RegExp): void => {
  assert.throws(fn, (err) => hasKind(err, kind as "InvalidArgument") && text.test((err as Error).message)); // hasKind checked it is a CriError
};

describe("containerMounts: read-write binds", () => {
  it("are bind strings on every engine, with relabelling and propagation as dockershim wrote them", () => {
    for (const engine of [docker20, docker26, docker28]) {
      const spec = containerMounts(
        mounts(
          { hostPath: "/h", containerPath: "/c" },
          { hostPath: "/h2", containerPath: "/c2", selinuxRelabel: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER },
          { hostPath: "/h3", containerPath: "/c3", propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL },
        ),
        engine,
      );
      assert.deepEqual(spec, { binds: ["/h:/c", "/h2:/c2:Z,rslave", "/h3:/c3:rshared"], mounts: [], notes: [] });
    }
  });
});

describe("containerMounts: read-only binds", () => {
  it("before API 1.44 are \"ro\" bind strings, which Docker keeps non-recursive", () => {
    const spec = containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }), docker20);
    assert.deepEqual(spec, { binds: ["/h:/c:ro,rslave"], mounts: [], notes: [] });
  });
  it("from API 1.44 are structured and non-recursive, create a missing host dir, carry the propagation", () => {
    const spec = containerMounts(
      mounts(
        { hostPath: "/h", containerPath: "/c", readonly: true },
        { hostPath: "/h2", containerPath: "/c2", readonly: true, propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL },
      ),
      docker26OldKernel,
    );
    assert.deepEqual(spec.binds, []);
    assert.deepEqual(spec.mounts, [
      { Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true, CreateMountpoint: true } },
      { Type: "bind", Source: "/h2", Target: "/c2", ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true, CreateMountpoint: true, Propagation: "rshared" } },
    ]);
  });
  it("with SELinux relabelling stay bind strings (Mounts cannot relabel), with a note that they are recursive", () => {
    const spec = containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, selinuxRelabel: true }), docker28);
    assert.deepEqual(spec.binds, ["/h:/c:ro,Z"]);
    assert.deepEqual(spec.mounts, []);
    assert.equal(spec.notes.length, 1);
    assert.match(spec.notes[0] ?? "", /SELinux relabelling.*recursively read-only/);
    assert.deepEqual(containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, selinuxRelabel: true }), docker20).notes, [], "no note where ro is non-recursive anyway");
  });
  it("recursive ones are structured with ReadOnlyForceRecursive where the engine and kernel allow it", () => {
    const spec = containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, recursiveReadOnly: true }), docker26);
    assert.deepEqual(spec.mounts, [{ Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true, CreateMountpoint: true } }]);
  });
  it("recursive ones are refused, saying what is needed, where the engine or kernel cannot", () => {
    const rro = mounts({ hostPath: "/h", containerPath: "/c", readonly: true, recursiveReadOnly: true });
    rejects(() => containerMounts(rro, docker20), "InvalidArgument", /need Docker API 1\.44 \(Docker 25\) or newer and Linux 5\.12 or newer; docker-cri speaks API 1\.41 with Docker 20\.10\.24 on kernel 6\.1\.0/);
    rejects(() => containerMounts(rro, docker26OldKernel), "InvalidArgument", /Linux 5\.12.*kernel 5\.10\.0/);
  });
  it("recursive ones need readonly, private propagation and no relabelling", () => {
    rejects(() => containerMounts(mounts({ hostPath: "/h", containerPath: "/c", recursiveReadOnly: true }), docker28), "InvalidArgument", /needs readonly set and private propagation/);
    rejects(
      () => containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, recursiveReadOnly: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }), docker28),
      "InvalidArgument",
      /private propagation/,
    );
    rejects(() => containerMounts(mounts({ hostPath: "/h", containerPath: "/c", readonly: true, recursiveReadOnly: true, selinuxRelabel: true }), docker28), "InvalidArgument", /cannot relabel/);
  });
});

describe("containerMounts: bind checks on every engine", () => {
  it("refuses relative paths, separators in paths, ID maps, mount options and unknown propagation", () => {
    for (const engine of [docker20, docker28]) {
      rejects(() => containerMounts(mounts({ hostPath: "h", containerPath: "/c" }), engine), "InvalidArgument", /host path must be absolute/);
      rejects(() => containerMounts(mounts({ hostPath: "/h", containerPath: "c" }), engine), "InvalidArgument", /container path must be absolute/);
      rejects(() => containerMounts(mounts({ hostPath: "/h:x", containerPath: "/c", readonly: true }), engine), "InvalidArgument", /cannot have ":" or ","/);
      rejects(() => containerMounts(mounts({ hostPath: "/h", containerPath: "/c", uidMappings: [{ hostId: 1, containerId: 0, length: 1 }] }), engine), "InvalidArgument", /ID-map/);
      rejects(() => containerMounts(mounts({ hostPath: "/h", containerPath: "/c", mountOptions: ["noexec"] }), engine), "InvalidArgument", /no mount options \(noexec\)/);
      const unknown = create(MountSchema, { hostPath: "/h", containerPath: "/c" });
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a value no MountPropagation has, as a newer kubelet could send
      unknown.propagation = 7 as MountPropagation; // not one of its values: the point of the test
      rejects(() => containerMounts([unknown], engine), "InvalidArgument", /unknown propagation 7/);
    }
  });
});

describe("containerMounts: image volumes", () => {
  const image = "sha256:" + "a".repeat(64);
  it("are mounts of type image, read-only, with the sub path where there is one (API 1.48)", () => {
    const spec = containerMounts(
      mounts({ containerPath: "/v", image: { image }, readonly: true }, { containerPath: "/w", image: { image: "registry.local/x:1" }, readonly: true, imageSubPath: "etc/conf" }),
      docker28,
    );
    assert.deepEqual(spec, {
      binds: [],
      mounts: [
        { Type: "image", Source: image, Target: "/v", ReadOnly: true },
        { Type: "image", Source: "registry.local/x:1", Target: "/w", ReadOnly: true, ImageOptions: { Subpath: "etc/conf" } },
      ],
      notes: [],
    });
  });
  it("are refused as a failed precondition, saying which API and release they need, on older engines", () => {
    rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true }), docker26), "FailedPrecondition", /image volumes need Docker API 1\.48 \(Docker 28\) or newer; docker-cri speaks API 1\.45 with Docker 26\.1\.5/);
    rejects(
      () => containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true, imageSubPath: "etc" }), { ...docker28, apiVersion: "1.48", imageVolumeSubpath: false }),
      "FailedPrecondition",
      /sub path needs Docker API/,
    );
  });
  it("follow the CRI's rules: an image, no host path, read-only, no propagation, a sub path inside the image", () => {
    rejects(() => containerMounts(mounts({ containerPath: "/v", imageSubPath: "etc", readonly: true }), docker28), "InvalidArgument", /set without an image/);
    rejects(() => containerMounts(mounts({ containerPath: "/v", hostPath: "/h", image: { image }, readonly: true }), docker28), "InvalidArgument", /no host path/);
    rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image } }), docker28), "InvalidArgument", /readonly must be set/);
    rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }), docker28), "InvalidArgument", /propagation/);
    rejects(() => containerMounts(mounts({ containerPath: "v", image: { image }, readonly: true }), docker28), "InvalidArgument", /container path must be absolute/);
    rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true, uidMappings: [{ hostId: 1, containerId: 0, length: 1 }] }), docker28), "InvalidArgument", /ID-map/);
    for (const sub of ["/etc", "../x", "a/../../x", "a\0b"]) {
      rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true, imageSubPath: sub }), docker28), "InvalidArgument", /must be a relative path inside the image/);
    }
    // Shape errors are InvalidArgument even where the engine has no image volumes at all.
    rejects(() => containerMounts(mounts({ containerPath: "/v", image: { image } }), docker20), "InvalidArgument", /readonly must be set/);
  });
  it("note that Docker cannot relabel them", () => {
    const spec = containerMounts(mounts({ containerPath: "/v", image: { image }, readonly: true, selinuxRelabel: true }), docker28);
    assert.equal(spec.mounts.length, 1);
    assert.match(spec.notes[0] ?? "", /cannot do for an image mount/);
  });
});
