import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createLogger } from "../logger/index.js";
import { createSdNotifier } from "./sd-notify.js";

function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8");
  stream.on("data", (c: string) => { text += c; });
  return { log: createLogger("debug", stream), text: () => text };
}

describe("createSdNotifier", () => {
  before(() => {
    execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-addons.mjs", import.meta.url)), "sd-notify"]);
  });

  it("does nothing without NOTIFY_SOCKET", async () => {
    const { log, text } = capture();
    const n = createSdNotifier(undefined, log);
    assert.equal(n.enabled, false);
    assert.equal(await n.notify("READY=1"), false);
    assert.equal(createSdNotifier("", log).enabled, false);
    assert.equal(text(), "");
  });

  it("reports a socket nobody listens on, with the errno, and does not throw", async () => {
    const { log, text } = capture();
    const n = createSdNotifier("/nonexistent/notify.sock", log);
    assert.equal(n.enabled, true);
    assert.equal(await n.notify("READY=1\nSTATUS=x"), false);
    assert.match(text(), /"level":"error".*"notifySocket":"\/nonexistent\/notify.sock","state":"READY=1".*"code":"ENOENT".*Cannot notify systemd: sendto: No such file or directory/);
  });

  it("refuses a socket path systemd would never set", async () => {
    const { log, text } = capture();
    assert.equal(await createSdNotifier("vsock:2:1234", log).notify("READY=1"), false);
    assert.match(text(), /NOTIFY_SOCKET is neither an absolute path nor an abstract socket/);
  });
});
