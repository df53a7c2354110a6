import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineFeatures, parseInfo, type EngineFeatures } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { versionFromEngine } from "./version.js";

const engine: EngineFeatures = engineFeatures({ version: "28.5.2", apiVersion: "1.51", daemonApiVersion: "1.51" }, parseInfo({ ServerVersion: "28.5.2", Driver: "overlay2", DockerRootDir: "/var/lib/docker" }));

describe("versionFromEngine", () => {
  it("answers the engine reading while the state cache is synced, and asks Docker otherwise", async () => {
    let asked = 0;
    let up = false;
    const docker = {
      version: () => {
        asked++;
        return up ? Promise.resolve({ version: "29.0.0", apiVersion: "1.52" }) : Promise.reject(new CriError("Unavailable", "Cannot connect to the Docker daemon"));
      },
      ping: () => Promise.resolve(),
    };
    let synced = true;
    const v = versionFromEngine(docker, () => engine, () => synced);
    assert.deepEqual(await v.version(), { version: "28.5.2", apiVersion: "1.51" });
    assert.equal(asked, 0, "no Docker call while synced");
    synced = false;
    await assert.rejects(v.version(), (err: unknown) => err instanceof CriError && err.kind === "Unavailable", "dockerd down: Unavailable, as before");
    up = true;
    assert.deepEqual(await v.version(), { version: "29.0.0", apiVersion: "1.52" }, "dockerd back before the cache re-read the engine: Docker's own answer");
    assert.equal(asked, 2);
  });
});
