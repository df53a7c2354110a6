/**
 * Fake CNI plugins: real executables (node scripts) written into a temp bin directory, for the
 * failure paths real plugins cannot be made to show and to see exactly what docker-cri passed.
 *
 * Each call appends one JSON line to `<ctl>/calls.jsonl` ({type, command, env, conf}). A file
 * `<ctl>/fail-<COMMAND>` (or `fail-<COMMAND>-<type>`) makes that command fail with CNI error 100 and
 * the message "injected <COMMAND> failure"; `<ctl>/hang-<COMMAND>` makes it hang. ADD prints its
 * `prevResult` when it has one, else a result in the config's version with the addresses of the
 * plugin config's `fakeAddresses` (default 10.200.0.5/24), on eth0 in the namespace.
 */
import { appendFile, chmod, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const script = (ctl: string) => `#!${process.execPath}
const fs = require("node:fs");
const path = require("node:path");
const ctl = ${JSON.stringify(ctl)};
const type = path.basename(process.argv[1]);
const cmd = process.env.CNI_COMMAND || "";
const input = fs.readFileSync(0, "utf8");
let conf = {};
try { conf = input === "" ? {} : JSON.parse(input); } catch { conf = { unparsable: input }; }
const env = {};
for (const k of ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH", "PATH"]) env[k] = process.env[k];
fs.appendFileSync(path.join(ctl, "calls.jsonl"), JSON.stringify({ type, command: cmd, env, conf }) + "\\n");
const v = conf.cniVersion || "0.1.0";
if (fs.existsSync(path.join(ctl, "hang-" + cmd))) { setInterval(() => {}, 1000); return; }
if (fs.existsSync(path.join(ctl, "fail-" + cmd)) || fs.existsSync(path.join(ctl, "fail-" + cmd + "-" + type))) {
  process.stdout.write(JSON.stringify({ cniVersion: v, code: 100, msg: "injected " + cmd + " failure", details: "from fake plugin " + type }));
  process.exit(1);
}
if (cmd === "VERSION") {
  process.stdout.write(JSON.stringify({ cniVersion: "1.1.0", supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] }));
  process.exit(0);
}
if (cmd !== "ADD") process.exit(0);
if (conf.prevResult) { process.stdout.write(JSON.stringify({ ...conf.prevResult, cniVersion: v })); process.exit(0); }
const addrs = Array.isArray(conf.fakeAddresses) ? conf.fakeAddresses : ["10.200.0.5/24"];
const major = Number(v.split(".")[0]), minor = Number(v.split(".")[1]);
let result;
if (major === 0 && minor < 3) {
  result = { cniVersion: v };
  for (const a of addrs) result[a.includes(":") ? "ip6" : "ip4"] = { ip: a };
} else {
  result = {
    cniVersion: v,
    interfaces: [{ name: "fake0", mac: "02:00:00:00:00:01" }, { name: process.env.CNI_IFNAME, mac: "02:00:00:00:00:02", sandbox: process.env.CNI_NETNS }],
    ips: addrs.map((a) => (major === 0 ? { version: a.includes(":") ? "6" : "4", address: a, interface: 1 } : { address: a, interface: 1 })),
  };
}
process.stdout.write(JSON.stringify(result));
`;

export interface FakeCall {
  readonly type: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly conf: Readonly<Record<string, unknown>>;
}

export interface FakePlugins {
  readonly binDir: string;
  readonly ctl: string;
  calls(): Promise<FakeCall[]>;
  clearCalls(): Promise<void>;
  /** Forgets the calls and every injected failure or hang. */
  reset(): Promise<void>;
  /** Makes `command` fail (for every fake plugin, or only `type`) until `succeed` is called. */
  fail(command: string, type?: string): Promise<void>;
  succeed(command: string, type?: string): Promise<void>;
  hang(command: string): Promise<void>;
}

/** Writes executables named `types` into `binDir`, controlled through `ctl`. */
export async function writeFakePlugins(binDir: string, ctl: string, types: readonly string[]): Promise<FakePlugins> {
  for (const t of types) {
    const p = join(binDir, t);
    await writeFile(p, script(ctl));
    await chmod(p, 0o755);
  }
  const flag = (command: string, type?: string) => join(ctl, type === undefined ? `fail-${command}` : `fail-${command}-${type}`);
  return {
    binDir,
    ctl,
    async calls() {
      const text = await readFile(join(ctl, "calls.jsonl"), "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as FakeCall); // written by the script above, one object per line
    },
    async clearCalls() {
      await rm(join(ctl, "calls.jsonl"), { force: true });
    },
    async reset() {
      for (const f of await readdir(ctl)) {
        if (f === "calls.jsonl" || f.startsWith("fail-") || f.startsWith("hang-")) await rm(join(ctl, f), { force: true });
      }
    },
    async fail(command, type) {
      await appendFile(flag(command, type), "");
    },
    async succeed(command, type) {
      await rm(flag(command, type), { force: true });
    },
    async hang(command) {
      await appendFile(join(ctl, `hang-${command}`), "");
    },
  };
}
