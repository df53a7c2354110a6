import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { CDIDeviceSchema } from "../../gen/index.js";
import { hasKind } from "../../errors/index.js";
import { cdiDeviceRequests, isQualifiedCdiName, type CdiEngine } from "./cdi-devices.js";

const devices = (...names: string[]) => names.map((name) => create(CDIDeviceSchema, { name }));
const withCdi: CdiEngine = { dockerVersion: "28.5.2", apiVersion: "1.51", cdi: true };
const withoutCdi: CdiEngine = { dockerVersion: "26.1.5", apiVersion: "1.45", cdi: false };

describe("cdiDeviceRequests", () => {
  it("asks Docker's CDI driver for every device, in one request", () => {
    assert.deepEqual(cdiDeviceRequests(devices("nvidia.com/gpu=0", "docker-cri.test/null=null1"), withCdi), [{ Driver: "cdi", DeviceIDs: ["nvidia.com/gpu=0", "docker-cri.test/null=null1"] }]);
  });
  it("sends nothing for no devices, on any engine", () => {
    assert.deepEqual(cdiDeviceRequests([], withoutCdi), []);
  });
  it("refuses an engine without CDI as a failed precondition, saying what would turn it on", () => {
    assert.throws(
      () => cdiDeviceRequests(devices("nvidia.com/gpu=0"), withoutCdi),
      (err) => hasKind(err, "FailedPrecondition") && /"nvidia\.com\/gpu=0".*Docker 28\.2 or newer, or Docker 25 \(API 1\.44\) or newer with "features": \{"cdi": true\}.*Docker 26\.1\.5, API 1\.45\) reports no CDI spec directories/.test((err as Error).message), // hasKind checked it is an Error
    );
  });
  it("refuses a name that is not fully qualified as invalid, on every engine", () => {
    for (const engine of [withCdi, withoutCdi]) {
      assert.throws(() => cdiDeviceRequests(devices("gpu0"), engine), (err) => hasKind(err, "InvalidArgument") && /fully qualified/.test((err as Error).message)); // as above
    }
  });
});

describe("isQualifiedCdiName", () => {
  it("follows the CDI parser's rules for vendor, class and device name", () => {
    for (const good of ["vendor.com/class=name", "a/b=c", "nvidia.com/gpu=all", "docker-cri.test/null=null3f2a", "v/c=GPU-1:2.3", "v_1/c-2=0"]) assert.equal(isQualifiedCdiName(good), true, good);
    for (const bad of ["", "gpu", "vendor.com/class", "vendor.com=name", "/class=name", "vendor.com/=name", "vendor.com/class=", "1vendor/c=n", "vendor-/c=n", "v/cl.ass=n", "v/c=-n", "v/c=n-", "v/c=n/m", "v/c=a=b"]) {
      assert.equal(isQualifiedCdiName(bad), false, bad);
    }
  });
});
