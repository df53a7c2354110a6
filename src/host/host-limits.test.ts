import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { clampOomScoreAdj, hasCapability, parseHostLimits, readHostLimits } from "./host-limits.js";

const status = (eff: string, bnd: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${eff}\nCapEff:\t${eff}\nCapBnd:\t${bnd}\nCapAmb:\t0000000000000000\n`;

describe("host limits", () => {
  it("without CAP_SYS_RESOURCE the OOM floor is our own oom_score_adj", () => {
    // Bit 24 (CAP_SYS_RESOURCE) cleared, as on this test host.
    const l = parseHostLimits(status("000001fffeffffff", "000001fffeffffff"), "0\n");
    assert.equal(l.minOomScoreAdj, 0);
    assert.equal(hasCapability(l.effectiveCapabilities, "SYS_RESOURCE"), false);
    assert.equal(hasCapability(l.effectiveCapabilities, "CAP_NET_ADMIN"), true);
    assert.equal(clampOomScoreAdj(-998, l), 0);
    assert.equal(clampOomScoreAdj(500, l), 500);
  });

  it("with CAP_SYS_RESOURCE it is the kernel's -1000", () => {
    const l = parseHostLimits(status("000001ffffffffff", "000001ffffffffff"), "-500\n");
    assert.equal(l.minOomScoreAdj, -1000);
    assert.equal(clampOomScoreAdj(-998, l), -998);
  });

  it("names the bounding set", () => {
    const l = parseHostLimits(status("0000000000000000", "00000000a80425fb"), "0");
    assert.deepEqual(l.boundingCapabilityNames, [
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
    ]);
  });

  it("reads this process's limits from /proc/self", async () => {
    const l = await readHostLimits();
    const own = Number((await readFile("/proc/self/oom_score_adj", "utf8")).trim());
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(await readFile("/proc/self/status", "utf8"))?.[1] ?? "0";
    const canLower = ((BigInt(`0x${capEff}`) >> 24n) & 1n) === 1n;
    assert.equal(l.minOomScoreAdj, canLower ? -1000 : own);
    assert.ok(l.boundingCapabilityNames.includes("CAP_CHOWN"));
  });
});
