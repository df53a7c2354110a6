import type { EngineFeatures } from "../../docker/index.js";
import { FEATURE_API_VERSIONS, FEATURE_DOCKER_RELEASES } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import type { CDIDevice } from "../../gen/index.js";

/** The engine facts CDI device requests depend on. */
export type CdiEngine = Pick<EngineFeatures, "dockerVersion" | "apiVersion" | "cdi">;

// A fully-qualified CDI device name, "vendor/class=name", with the CDI parser's rules
// (tags.cncf.io/container-device-interface/pkg/parser): the vendor is a domain-like name, the class
// has no dots, the device name may also hold ":"; each starts with a letter (a device name also with
// a digit) and ends with a letter or digit.
const vendorRe = /^[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const classRe = /^[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;
const deviceRe = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/** Whether `name` is a fully-qualified CDI device name. */
export function isQualifiedCdiName(name: string): boolean {
  const slash = name.indexOf("/");
  const eq = name.indexOf("=", slash + 1);
  if (slash <= 0 || eq < 0) return false;
  return vendorRe.test(name.slice(0, slash)) && classRe.test(name.slice(slash + 1, eq)) && deviceRe.test(name.slice(eq + 1));
}

/**
 * CRI CDI devices (`ContainerConfig.CDI_devices`) as Docker's device request for its CDI driver, which
 * resolves the names against the specs in the daemon's CDI spec directories when the container starts.
 * Names are checked first, on every engine; an engine without CDI is refused, saying what it needs.
 */
export function cdiDeviceRequests(devices: readonly CDIDevice[], engine: CdiEngine): Record<string, unknown>[] {
  if (devices.length === 0) return [];
  for (const d of devices) {
    if (!isQualifiedCdiName(d.name)) {
      throw new CriError("InvalidArgument", `Invalid CDI device "${d.name}": a CDI device name is fully qualified, "vendor.com/class=name"`);
    }
  }
  if (!engine.cdi) {
    const names = devices.map((d) => `"${d.name}"`).join(", ");
    throw new CriError(
      "FailedPrecondition",
      `Cannot give the container the CDI devices ${names}: CDI needs Docker ${FEATURE_DOCKER_RELEASES.cdiDeviceList} or newer, or Docker ${FEATURE_DOCKER_RELEASES.cdi} ` +
        `(API ${FEATURE_API_VERSIONS.cdi}) or newer with "features": {"cdi": true} in daemon.json; this daemon (Docker ${engine.dockerVersion || "(unknown)"}, ` +
        `API ${engine.apiVersion}) reports no CDI spec directories`,
    );
  }
  return [{ Driver: "cdi", DeviceIDs: devices.map((d) => d.name) }];
}
