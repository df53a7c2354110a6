import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configuredRoot, defaultContainerdRoot, imageFsRoot, localProbe, type RootProbe } from "./image-fs-root.js";

const containerd = { imageStore: "containerd", storageDriver: "overlayfs" } as const;

describe("imageFsRoot", () => {
  it("is Docker's root with the classic store", async () => {
    assert.equal(await imageFsRoot({ imageStore: "classic", storageDriver: "overlay2" }, "/var/lib/docker"), "/var/lib/docker");
  });

  it("is the root of the containerd dockerd runs itself, found on disk by its snapshotter directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-fs-root-"));
    try {
      // The layout of Docker 26.1.5 and 28.5.2 with the containerd image store and no --containerd.
      await mkdir(join(dir, "containerd", "daemon", "io.containerd.snapshotter.v1.overlayfs"), { recursive: true });
      assert.equal(await imageFsRoot(containerd, dir, localProbe), join(dir, "containerd", "daemon"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is the system containerd's configured root, else its default, else Docker's root", async () => {
    const probe = (dirs: string[], toml: string | undefined): RootProbe => ({
      isDirectory: (p) => Promise.resolve(dirs.includes(p)),
      readText: () => Promise.resolve(toml),
    });
    const toml = 'version = 2\nroot = "/data/containerd"\n[plugins]\n';
    assert.equal(await imageFsRoot(containerd, "/var/lib/docker", probe(["/data/containerd/io.containerd.snapshotter.v1.overlayfs"], toml)), "/data/containerd");
    assert.equal(await imageFsRoot(containerd, "/var/lib/docker", probe([`${defaultContainerdRoot}/io.containerd.snapshotter.v1.overlayfs`], undefined)), defaultContainerdRoot);
    assert.equal(await imageFsRoot({ imageStore: "containerd", storageDriver: "native" }, "/var/lib/docker", probe([`${defaultContainerdRoot}/io.containerd.snapshotter.v1.native`], undefined)), defaultContainerdRoot);
    assert.equal(await imageFsRoot(containerd, "/var/lib/docker", probe([], undefined)), "/var/lib/docker", "nothing local: another host's dockerd");
  });

  it("reads only the top-level root of a containerd config", () => {
    assert.equal(configuredRoot('root = "/x"'), "/x");
    assert.equal(configuredRoot("version = 2\n  root = '/y' # comment\n"), "/y");
    assert.equal(configuredRoot('[plugins]\nroot = "/in/a/table"\n'), undefined);
    assert.equal(configuredRoot('version = 2\n[plugins."io.containerd.internal.v1.opt"]\n  path = "/var/lib/containerd/opt"\n'), undefined);
    assert.equal(configuredRoot(undefined), undefined);
  });
});
