import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCniConfig, type CniNetworkConfig } from "./cni-config.js";

function reasonOf(r: CniNetworkConfig | string): string {
  return typeof r === "string" ? r : "(parsed)";
}

describe("parseCniConfig", () => {
  it("reads a conflist with capabilities, disableCheck and its bytes", () => {
    const text = JSON.stringify({
      cniVersion: "1.0.0",
      name: "pods",
      disableCheck: "true",
      plugins: [{ type: "bridge", bridge: "cni0" }, { type: "portmap", capabilities: { portMappings: true, bandwidth: false } }],
    });
    const c = parseCniConfig("/etc/cni/net.d/10-pods.conflist", text);
    assert.ok(typeof c !== "string", reasonOf(c));
    assert.equal(c.name, "pods");
    assert.equal(c.cniVersion, "1.0.0");
    assert.equal(c.disableCheck, true);
    assert.equal(c.disableGC, false);
    assert.deepEqual(c.pluginTypes, ["bridge", "portmap"]);
    assert.deepEqual([...(c.plugins[1]?.capabilities ?? [])], ["portMappings"]);
    assert.equal(c.bytes, text);
  });

  it("turns a single-plugin .conf into a list of one, carrying its name and version", () => {
    const c = parseCniConfig("/x/10-br.conf", JSON.stringify({ cniVersion: "0.3.1", name: "br", type: "bridge", ipam: { type: "host-local" } }));
    assert.ok(typeof c !== "string", reasonOf(c));
    assert.deepEqual(c.pluginTypes, ["bridge"]);
    assert.equal(c.cniVersion, "0.3.1");
    assert.deepEqual(JSON.parse(c.bytes), { name: "br", cniVersion: "0.3.1", plugins: [{ cniVersion: "0.3.1", name: "br", type: "bridge", ipam: { type: "host-local" } }] });
  });

  it("takes the newest supported entry of cniVersions (1.1.0) and defaults to 0.1.0", () => {
    const c = parseCniConfig("/x/a.conflist", JSON.stringify({ cniVersions: ["0.4.0", "1.1.0", "2.0.0"], cniVersion: "0.3.1", name: "n", plugins: [{ type: "x" }] }));
    assert.ok(typeof c !== "string", reasonOf(c));
    assert.equal(c.cniVersion, "1.1.0");
    const d = parseCniConfig("/x/b.conf", JSON.stringify({ name: "n", type: "x" }));
    assert.ok(typeof d !== "string", reasonOf(d));
    assert.equal(d.cniVersion, "0.1.0");
  });

  it("refuses what is not a usable config, saying why", () => {
    const cases: [string, string, RegExp][] = [
      ["a.conf", "{", /a.conf: invalid JSON/],
      ["a.conf", "[]", /not a JSON object/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", plugins: [{ type: "x" }] }), /no network "name"/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", name: "-bad", plugins: [{ type: "x" }] }), /invalid network name "-bad"/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", name: "n", plugins: [] }), /"plugins" is empty/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", name: "n", plugins: [{}] }), /plugin 0 has no "type"/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", name: "n", plugins: [{ type: "../../bin/sh" }] }), /invalid "type"/],
      ["a.conflist", JSON.stringify({ cniVersion: "3.0.0", name: "n", plugins: [{ type: "x" }] }), /CNI version "3.0.0" is not supported/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0", name: "n", plugins: [{ type: "x" }] }), /invalid CNI version "1.0"/],
      ["a.conflist", JSON.stringify({ cniVersion: "1.0.0", name: "n", disableCheck: "maybe", plugins: [{ type: "x" }] }), /invalid "disableCheck"/],
      ["a.conf", JSON.stringify({ cniVersion: "1.0.0", name: "n" }), /plugin 0 has no "type"/],
    ];
    for (const [path, text, re] of cases) {
      const r = parseCniConfig(path, text);
      assert.equal(typeof r, "string", `${text} should be refused`);
      assert.match(reasonOf(r), re);
    }
  });
});
