import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineFeatures, type EngineFeatures } from "../../docker/index.js";
import { parseInfo } from "../../docker/info.js";
import { StatusRequestSchema } from "../../gen/index.js";
import { create } from "@bufbuild/protobuf";
import { silentLogger } from "../../logger/index.js";
import { NoopPlugin } from "../../network/index.js";
import type { RpcContext } from "../context.js";
import type { RuntimeInfoDeps } from "./runtime-deps.js";
import { status } from "./status.js";

const info = parseInfo({ DockerRootDir: "/d", KernelVersion: "6.1.0" });
const ctx: RpcContext = { signal: new AbortController().signal, log: silentLogger(), requestId: "t", deadline: undefined };

function deps(engine: EngineFeatures): RuntimeInfoDeps {
  return {
    docker: { version: () => Promise.resolve({ version: engine.dockerVersion, apiVersion: engine.apiVersion }), ping: () => Promise.resolve() },
    network: new NoopPlugin(),
    cgroupDriver: "cgroupfs",
    engine: () => engine,
    runtimeHandlers: ["runc", "runsc"],
    statusTimeoutMs: 1000,
    configForStatus: {},
  };
}

describe("Status runtime handler features", () => {
  it("advertise recursive read-only mounts on every handler where the engine allows them, never user namespaces", async () => {
    const res = await status(deps(engineFeatures({ version: "26.1.5", apiVersion: "1.45", daemonApiVersion: "1.45" }, info)), create(StatusRequestSchema), ctx);
    assert.deepEqual(res.runtimeHandlers, ["", "runc", "runsc"].map((name) => ({ name, features: { recursiveReadOnlyMounts: true, userNamespaces: false } })));
  });
  it("do not advertise them on an older engine or kernel", async () => {
    for (const [api, kernel] of [["1.41", "6.1.0"], ["1.45", "5.10.0"]] as const) {
      const engine = engineFeatures({ version: "x", apiVersion: api, daemonApiVersion: api }, { ...info, kernelVersion: kernel });
      const res = await status(deps(engine), create(StatusRequestSchema), ctx);
      assert.ok(res.runtimeHandlers?.every((h) => h.features?.recursiveReadOnlyMounts === false && h.features.userNamespaces === false), `API ${api}, kernel ${kernel}`);
    }
  });
});
