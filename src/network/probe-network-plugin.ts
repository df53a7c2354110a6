import { stat } from "node:fs/promises";
import type { Logger } from "../logger/index.js";
import { CniPlugin } from "./cni-plugin.js";
import { KubenetPlugin } from "./kubenet-plugin.js";
import type { NetworkPlugin, NetworkPluginSettings } from "./network-plugin.js";
import { NoopPlugin } from "./noop-plugin.js";

/**
 * Picks the plugin named by --network-plugin, as the kubelet's ProbeNetworkPlugins + InitNetworkPlugin
 * did. A missing CNI directory is not fatal (the config may be installed later by a DaemonSet); it is
 * logged, and Status reports NetworkReady=false until it appears.
 */
export async function probeNetworkPlugin(settings: NetworkPluginSettings, log: Logger): Promise<NetworkPlugin> {
  let plugin: NetworkPlugin;
  switch (settings.pluginName) {
    case "":
      plugin = new NoopPlugin();
      break;
    case "cni":
      plugin = new CniPlugin(settings, log);
      break;
    case "kubenet":
      plugin = new KubenetPlugin(settings, log);
      break;
  }
  if (settings.pluginName !== "") {
    for (const dir of settings.binDirs) {
      try {
        await stat(dir);
      } catch {
        log.warn({ dir }, "CNI binary directory does not exist yet");
      }
    }
  }
  const status = await plugin.status();
  log.info({ plugin: plugin.name === "" ? "docker-bridge" : plugin.name, ready: status.ready, message: status.message || undefined }, "Network plugin probed");
  return plugin;
}
