/**
 * Smoke test of the standalone executable that `npm run package` builds (dist/package/docker-cri):
 * copied alone into an empty directory and run with an environment that has no Node.js (no node on
 * PATH, no NODE_* variables, nothing of this repository reachable), it must start, notify systemd
 * (its native addon comes out of the executable itself), answer Version over CRI, stop cleanly and
 * leave nothing behind. Skipped when the executable has not been built; CI builds it first.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { RuntimeService } from "../../src/gen/index.js";
import { criClient } from "../kit/cri-client.js";
import { repoRoot } from "../kit/daemon.js";
import { startNotifySink } from "./kit/notify-sink.js";

const execFileAsync = promisify(execFile);
const built = join(repoRoot, "dist", "package", "docker-cri");
const present = await access(built).then(() => true, () => false);

describe("standalone executable (npm run package)", { skip: present ? false : "dist/package/docker-cri is not built: run `npm run package`" }, () => {
  it("runs without Node.js: --version, then serves Version over CRI, notifies systemd, and stops cleanly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-package-"));
    const exe = join(dir, "docker-cri");
    const tmp = join(dir, "tmp");
    await mkdir(tmp);
    await copyFile(built, exe);
    // No PATH to find node through and no Node.js variables: only what the executable carries.
    const env = { PATH: "/nonexistent", TMPDIR: tmp, HOME: dir };
    const sink = await startNotifySink();
    try {
      const { stdout } = await execFileAsync(exe, ["--version"], { cwd: dir, env });
      assert.equal(stdout, "docker-cri 0.1.0\n");
      // As the systemd unit runs it: its NODE_OPTIONS must not make Node warn (a code cache made under
      // other V8 flags is rejected with a warning on every start).
      const unitNodeOptions = /^Environment=NODE_OPTIONS=(.*)$/m.exec(await readFile(join(repoRoot, "packaging", "systemd", "docker-cri.service"), "utf8"))?.[1] ?? "";
      assert.notEqual(unitNodeOptions, "", "the unit sets NODE_OPTIONS");
      const underUnit = await execFileAsync(exe, ["--version"], { cwd: dir, env: { ...env, NODE_OPTIONS: unitNodeOptions } });
      assert.equal(underUnit.stdout, "docker-cri 0.1.0\n");
      assert.equal(underUnit.stderr, "");

      const socket = join(dir, "cri.sock");
      const proc = spawn(exe, [`--container-runtime-endpoint=unix://${socket}`, `--cri-dockerd-root-directory=${join(dir, "root")}`, "--network-plugin=", "--metrics-bind-address="], {
        cwd: dir,
        env: { ...env, NOTIFY_SOCKET: sink.path },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      proc.stderr.setEncoding("utf8");
      proc.stderr.on("data", (c: string) => { stderr += c; });
      const exited = new Promise<number | null>((res) => proc.once("exit", res));
      const client = criClient(socket);
      try {
        const ready = await sink.waitFor(/^READY=1/, 30_000);
        assert.equal(ready.pid, proc.pid, "READY=1 from the executable's own process");
        const v = await client.call(RuntimeService.method.version, { version: "v1" });
        assert.equal(v.runtimeName, "docker");
        assert.equal(v.runtimeApiVersion, "v1");
        // The addons were unpacked into a private directory under TMPDIR while it runs.
        assert.equal((await readdir(tmp)).filter((n) => n.startsWith("docker-cri-")).length, 1);
      } finally {
        client.close();
        proc.kill("SIGTERM");
      }
      assert.equal(await exited, 0, stderr);
      assert.ok((await sink.waitFor(/^STOPPING=1/)).pid === proc.pid);
      assert.doesNotMatch(stderr, /Warning|"level":"(error|fatal)"/, stderr);
      assert.deepEqual(await readdir(tmp), [], "the unpacked addons are removed at exit");
    } finally {
      await sink.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("runs `doctor` from the executable", async () => {
    const { stdout } = await execFileAsync(built, ["doctor", "--network-plugin=", "--container-runtime-endpoint=unix:///nonexistent/cri.sock"], { env: { PATH: "/nonexistent" } }).catch((err: unknown) => {
      // doctor exits 1 when it finds a problem; the report is what this test reads.
      const out: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "stdout") : undefined;
      return { stdout: typeof out === "string" ? out : "" };
    });
    assert.match(stdout, /^ {2}ok {4}Docker: Docker .* answers at unix:\/\/\/var\/run\/docker\.sock/m);
  });
});
