/**
 * systemd socket activation: the listening socket arrives as fd 3 with LISTEN_PID/LISTEN_FDS, and
 * docker-cri serves on it with --container-runtime-endpoint=fd://.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startSocketActivated } from "../kit/socket-activation.js";

describe("--container-runtime-endpoint=fd://", () => {
  it("serves CRI on a socket passed the systemd way", async () => {
    const activated = await startSocketActivated();
    try {
      assert.equal(activated.version.runtimeName, "docker");
      assert.match(activated.daemon.stderr(), /"endpoint":"fd:\/\/3"/);
    } finally {
      assert.equal(await activated.dispose(), 0);
    }
  });
});
