import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineFeatures, imageStoreOf, kernelAtLeast } from "./engine-features.js";
import { parseInfo } from "./info.js";

const info20 = parseInfo({ DockerRootDir: "/var/lib/docker", Driver: "overlay2", DriverStatus: [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]], KernelVersion: "6.1.0-13-amd64", CDISpecDirs: null });
const info28 = parseInfo({ DockerRootDir: "/d", Driver: "overlayfs", DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]], KernelVersion: "6.18.44", CDISpecDirs: ["/etc/cdi", "/var/run/cdi"] });

describe("engineFeatures", () => {
  it("Docker 20.10 (API 1.41, classic store): no bind read-only options, image volumes or CDI", () => {
    const f = engineFeatures({ version: "20.10.24", apiVersion: "1.41", daemonApiVersion: "1.41" }, info20);
    assert.equal(f.imageStore, "classic");
    assert.deepEqual([f.bindReadOnlyOptions, f.recursiveReadOnly, f.imageVolumes, f.imageVolumeSubpath, f.cdi], [false, false, false, false, false]);
  });
  it("Docker 26.1 (API 1.45): bind read-only options and recursive read-only on a 5.12+ kernel, no image volumes", () => {
    const f = engineFeatures({ version: "26.1.5", apiVersion: "1.45", daemonApiVersion: "1.45" }, info20);
    assert.deepEqual([f.bindReadOnlyOptions, f.recursiveReadOnly, f.imageVolumes, f.cdi], [true, true, false, false]);
    const oldKernel = engineFeatures({ version: "26.1.5", apiVersion: "1.45", daemonApiVersion: "1.45" }, { ...info20, kernelVersion: "5.10.0-28-amd64" });
    assert.equal(oldKernel.recursiveReadOnly, false);
  });
  it("Docker 28.5 (API 1.51, containerd store, CDI on): every feature", () => {
    const f = engineFeatures({ version: "28.5.2", apiVersion: "1.51", daemonApiVersion: "1.51" }, info28);
    assert.equal(f.imageStore, "containerd");
    assert.deepEqual([f.bindReadOnlyOptions, f.recursiveReadOnly, f.imageVolumes, f.imageVolumeSubpath, f.cdi], [true, true, true, true, true]);
    assert.deepEqual(f.cdiSpecDirs, ["/etc/cdi", "/var/run/cdi"]);
  });
  it("Docker 26.1 with CDI turned on (API 1.45): CDI, without the daemon's device list", () => {
    const f = engineFeatures({ version: "26.1.5", apiVersion: "1.45", daemonApiVersion: "1.45" }, { ...info20, cdiSpecDirs: ["/etc/cdi"] });
    assert.deepEqual([f.cdi, f.cdiDeviceList], [true, false]);
    assert.equal(engineFeatures({ version: "24.0.9", apiVersion: "1.43", daemonApiVersion: "1.43" }, { ...info20, cdiSpecDirs: ["/etc/cdi"] }).cdi, false, "CDISpecDirs is API 1.44");
  });
  it("Docker 28.0 (API 1.48): image volumes with sub paths; the device list from API 1.50", () => {
    const f = engineFeatures({ version: "28.0.4", apiVersion: "1.48", daemonApiVersion: "1.48" }, info28);
    assert.deepEqual([f.imageVolumes, f.imageVolumeSubpath, f.cdiDeviceList], [true, true, false]);
    assert.equal(engineFeatures({ version: "28.5.2", apiVersion: "1.51", daemonApiVersion: "1.51" }, info28).cdiDeviceList, true);
  });
  it("reads the CDI devices the daemon discovered, only those of the CDI driver", () => {
    const info = parseInfo({ DockerRootDir: "/d", DiscoveredDevices: [{ Source: "cdi", ID: "vendor.com/gpu=0" }, { Source: "other", ID: "x" }, { Source: "cdi" }] });
    assert.deepEqual(info.cdiDevices, ["vendor.com/gpu=0"]);
    assert.deepEqual(info20.cdiDevices, []);
  });
  it("features follow the API version we speak, not the daemon's newest", () => {
    const f = engineFeatures({ version: "28.5.2", apiVersion: "1.47", daemonApiVersion: "1.51" }, info28);
    assert.equal(f.imageVolumes, false);
  });
  it("CDI is off when the daemon lists no spec directories", () => {
    assert.equal(engineFeatures({ version: "28.5.2", apiVersion: "1.51", daemonApiVersion: "1.51" }, { ...info28, cdiSpecDirs: [] }).cdi, false);
  });
});

describe("imageStoreOf and kernelAtLeast", () => {
  it("reads the containerd snapshotter from DriverStatus", () => {
    assert.equal(imageStoreOf(info28), "containerd");
    assert.equal(imageStoreOf(info20), "classic");
    assert.equal(imageStoreOf(parseInfo({ DockerRootDir: "/d", DriverStatus: [["driver-type", 7], "junk"] })), "classic");
  });
  it("compares kernel versions numerically", () => {
    assert.equal(kernelAtLeast("5.12.0", 5, 12), true);
    assert.equal(kernelAtLeast("5.9.1", 5, 12), false);
    assert.equal(kernelAtLeast("10.0", 5, 12), true);
    assert.equal(kernelAtLeast("4.19.0", 5, 12), false);
    assert.equal(kernelAtLeast("weird", 5, 12), false);
  });
});
