import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../../test/kit/wait-for.js";
import { silentLogger } from "../logger/index.js";
import { CniPlugin } from "./cni-plugin.js";
import { KubenetPlugin, kubenetBinaries } from "./kubenet-plugin.js";
import type { NetworkPluginSettings } from "./network-plugin.js";

describe("network plugin readiness", () => {
  let dir: string;
  let settings: NetworkPluginSettings;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-net-"));
    await mkdir(join(dir, "conf"));
    await mkdir(join(dir, "bin"));
    settings = {
      pluginName: "cni", confDir: join(dir, "conf"), binDirs: [join(dir, "nobin"), join(dir, "bin")], cacheDir: join(dir, "cache"),
      mtu: 0, hairpinMode: "hairpin-veth", nonMasqueradeCidr: "10.0.0.0/8", podCidr: "",
    };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function addBinary(name: string): Promise<void> {
    const p = join(dir, "bin", name);
    await writeFile(p, "#!/bin/sh\nexit 0\n");
    await chmod(p, 0o755);
  }

  it("cni: not ready without a config, naming the directory", async () => {
    const s = await new CniPlugin(settings, silentLogger()).status();
    assert.equal(s.ready, false);
    assert.equal(s.reason, "NetworkPluginNotReady");
    assert.match(s.message, /cni config uninitialized: no network config found in .*conf/);
  });

  it("cni: skips invalid files and configs whose plugins are missing (sorted by name), and notices changes", async () => {
    await writeFile(join(dir, "conf", "05-broken.conf"), "{ not json");
    await writeFile(join(dir, "conf", "10-net.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "pods", plugins: [{ type: "bridge" }, { type: "portmap" }] }));
    await writeFile(join(dir, "conf", "20-other.conf"), JSON.stringify({ cniVersion: "0.4.0", name: "other", type: "macvlan" }));
    await writeFile(join(dir, "conf", "30-future.conf"), JSON.stringify({ cniVersion: "9.0.0", name: "future", type: "bridge" }));
    const plugin = new CniPlugin(settings, silentLogger());
    try {
      let s = await plugin.status();
      assert.equal(s.ready, false);
      assert.match(s.message, /05-broken.conf: invalid JSON/);
      assert.match(s.message, /10-net.conflist needs CNI plugins not found .*: bridge, portmap/);
      assert.match(s.message, /20-other.conf needs CNI plugins not found .*: macvlan/);
      assert.match(s.message, /30-future.conf: CNI version "9.0.0" is not supported/);
      await addBinary("bridge");
      await addBinary("portmap");
      s = await plugin.status();
      assert.deepEqual(s, { ready: true, reason: "", message: "" });
      // The directory is watched: a config removed is noticed on the next call.
      await rm(join(dir, "conf", "10-net.conflist"));
      await waitFor("the plugin to report not ready", async () => !(await plugin.status()).ready, { timeoutMs: 5_000, intervalMs: 20 });
      assert.match((await plugin.status()).message, /20-other.conf needs CNI plugins not found .*: macvlan/);
    } finally {
      plugin.close();
    }
  });

  it("kubenet: not ready until it has a pod CIDR and its plugins", async () => {
    const plugin = new KubenetPlugin({ ...settings, pluginName: "kubenet" }, silentLogger());
    let s = await plugin.status();
    assert.equal(s.ready, false);
    assert.match(s.message, /lack of PodCIDR/);
    plugin.setPodCidr("10.244.1.0/24");
    s = await plugin.status();
    assert.equal(s.ready, false);
    assert.match(s.message, /host-local, loopback/);
    for (const b of kubenetBinaries) await addBinary(b);
    s = await plugin.status();
    assert.equal(s.ready, true);
    assert.equal(plugin.podCidr(), "10.244.1.0/24");
  });
});
