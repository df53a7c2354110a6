import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateSysctls } from "./validate-sysctls.js";

const pod = { hostNetwork: false, hostIpc: false };
const invalid = (re: RegExp) => (err: unknown) => err instanceof Error && "kind" in err && err.kind === "InvalidArgument" && re.test(err.message);

describe("sandbox sysctls", () => {
  it("accepts the namespaced ones a pod may set", () => {
    validateSysctls({ "kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "0", "fs.mqueue.msg_max": "20", "net/ipv4/tcp_syncookies": "1", "kernel.sem": "250 32000 100 128" }, pod);
  });

  it("refuses sysctls runc would refuse at start", () => {
    assert.throws(() => { validateSysctls({ key: "v" }, pod); }, invalid(/"key": not a sysctl name/));
    assert.throws(() => { validateSysctls({ "vm.swappiness": "1" }, pod); }, invalid(/not namespaced/));
    assert.throws(() => { validateSysctls({ "kernel.shmmax": "1" }, { ...pod, hostIpc: true }); }, invalid(/host's IPC namespace/));
    assert.throws(() => { validateSysctls({ "net.core.somaxconn": "1" }, { ...pod, hostNetwork: true }); }, invalid(/host's network namespace/));
    assert.throws(() => { validateSysctls({ "net.core.somaxconn": "" }, pod); }, invalid(/not empty/));
    assert.throws(() => { validateSysctls({ "net.core.somaxconn": "1\n2" }, pod); }, invalid(/one line/));
  });
});
