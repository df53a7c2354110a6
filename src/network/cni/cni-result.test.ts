import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCniResult, podIpsOf, type CniResult } from "./cni-result.js";

function reasonOf(r: CniResult | string): string {
  return typeof r === "string" ? r : "(parsed)";
}

function parsed(json: unknown): CniResult {
  const r = parseCniResult(json);
  assert.ok(typeof r !== "string", reasonOf(r));
  return r;
}

const interfaces = [{ name: "cni0", mac: "aa" }, { name: "veth1", mac: "bb" }, { name: "eth0", mac: "cc", sandbox: "/proc/1/ns/net" }];

describe("CNI results of every spec version", () => {
  it("0.2.0: ip4 and ip6 blocks", () => {
    const r = parsed({ cniVersion: "0.2.0", ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1" }, ip6: { ip: "fd00::5/64" } });
    assert.deepEqual(podIpsOf(r, "eth0"), ["10.1.0.5", "fd00::5"]);
    assert.equal(r.ips[0]?.gateway, "10.1.0.1");
  });

  it("0.3.1 and 0.4.0: ips with version and interface index; only the sandbox's eth0 counts", () => {
    for (const v of ["0.3.0", "0.3.1", "0.4.0"]) {
      const r = parsed({
        cniVersion: v,
        interfaces,
        ips: [
          { version: "6", address: "fd00::7/64", interface: 2 },
          { version: "4", address: "10.2.0.7/24", gateway: "10.2.0.1", interface: 2 },
          { version: "4", address: "10.2.0.1/24", interface: 0 },
        ],
      });
      assert.deepEqual(podIpsOf(r, "eth0"), ["10.2.0.7", "fd00::7"], v);
    }
  });

  it("1.0.0 and 1.1.0: ips without version; IPv4 first", () => {
    for (const v of ["1.0.0", "1.1.0"]) {
      const r = parsed({ cniVersion: v, interfaces, ips: [{ address: "fd00::8/64", interface: 2 }, { address: "10.3.0.8/24", interface: 2 }] });
      assert.deepEqual(podIpsOf(r, "eth0"), ["10.3.0.8", "fd00::8"], v);
    }
  });

  it("without interface indexes every address is the pod's", () => {
    const r = parsed({ cniVersion: "1.0.0", ips: [{ address: "10.4.0.9/24" }, { address: "10.4.0.9/24" }] });
    assert.deepEqual(podIpsOf(r, "eth0"), ["10.4.0.9"]);
  });

  it("refuses malformed results", () => {
    assert.match(reasonOf(parseCniResult("x")), /not a JSON object/);
    assert.match(reasonOf(parseCniResult({ cniVersion: "1.0.0", ips: {} })), /"ips" is not a list/);
    assert.match(reasonOf(parseCniResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.1" }] })), /not an address with a prefix length/);
    assert.match(reasonOf(parseCniResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.1/40" }] })), /not an address with a prefix length/);
    assert.match(reasonOf(parseCniResult({ cniVersion: "0.2.0", ip4: { ip: "nope/24" } })), /"ip4.ip"/);
  });
});
