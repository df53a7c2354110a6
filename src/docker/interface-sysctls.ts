import { compareApiVersions } from "./api-version.js";

/** The endpoint driver option that carries per-interface sysctls (API 1.46+), "IFNAME" standing for the interface. */
export const endpointSysctlsOption = "com.docker.network.endpoint.sysctls";

/**
 * The create body as Docker before API 1.48 made it itself: an `eth0` sysctl of
 * `HostConfig.Sysctls` (`net.ipv4.conf.eth0.forwarding`, …) moved to the `DriverOpts` of the
 * container's own network endpoint as `net.ipv4.conf.IFNAME.forwarding=…`. On API 1.46 and 1.47
 * Docker did that move with a warning; from 1.48 it refuses the request instead (HTTP 500 "interface
 * specific sysctl setting … must be supplied using driver option"), which would fail every pod that
 * sets one since we speak 1.48+. Below 1.46 there is no such option and the body goes unchanged.
 *
 * Only for a container with its own network namespace (not `host`, not `container:<id>`); only
 * `eth0`, as Docker did (any other `ethN` it refused on every version, and still does). The endpoint
 * is the container's network: `bridge` for the default mode, the mode's name otherwise. With
 * `none` (a network plugin's pods) Docker's old move put the setting on an endpoint that has no
 * interface, so it was never applied; that stays as it was.
 */
export function moveInterfaceSysctls(body: Readonly<Record<string, unknown>>, apiVersion: string | undefined): Readonly<Record<string, unknown>> {
  if (apiVersion === undefined || compareApiVersions(apiVersion, "1.48") < 0) return body;
  const hostConfig = recordOf(body.HostConfig);
  const sysctls = recordOf(hostConfig?.Sysctls);
  if (hostConfig === undefined || sysctls === undefined) return body;
  const mode = typeof hostConfig.NetworkMode === "string" ? hostConfig.NetworkMode : "";
  if (mode === "host" || mode.startsWith("container:")) return body;

  const kept: Record<string, unknown> = {};
  const moved: string[] = [];
  for (const [key, value] of Object.entries(sysctls)) {
    const parts = key.split(".");
    if (parts.length >= 5 && parts[0] === "net" && parts[3] === "eth0" && typeof value === "string") {
      moved.push(`${[...parts.slice(0, 3), "IFNAME", ...parts.slice(4)].join(".")}=${value}`);
    } else {
      kept[key] = value;
    }
  }
  if (moved.length === 0) return body;

  const network = mode === "" || mode === "default" ? "bridge" : mode;
  const networking = recordOf(body.NetworkingConfig) ?? {};
  const endpoints = recordOf(networking.EndpointsConfig) ?? {};
  const endpoint = recordOf(endpoints[network]) ?? {};
  const driverOpts = recordOf(endpoint.DriverOpts) ?? {};
  // A setting given on the endpoint itself wins over one moved from the top level, as in Docker.
  const given = driverOpts[endpointSysctlsOption];
  const value = typeof given === "string" && given !== "" ? `${moved.join(",")},${given}` : moved.join(",");
  return {
    ...body,
    HostConfig: { ...hostConfig, Sysctls: kept },
    NetworkingConfig: {
      ...networking,
      EndpointsConfig: { ...endpoints, [network]: { ...endpoint, DriverOpts: { ...driverOpts, [endpointSysctlsOption]: value } } },
    },
  };
}

function recordOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  // A JSON object built by our own translation; arrays and null are not one.
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Readonly<Record<string, unknown>>) : undefined;
}
