import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonObjectReader, parseInfo, parseVersion } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";

function internal(message: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof CriError);
    assert.equal(err.kind, "Internal");
    assert.equal(err.message, message);
    return true;
  };
}

describe("Docker JSON narrowing", () => {
  it("names the field of the wrong type", () => {
    assert.throws(() => parseInfo({ DockerRootDir: "/var/lib/docker", CgroupDriver: 7 }), internal('Unexpected Docker "info" response: field "CgroupDriver" is a number, expected a string'));
    assert.throws(() => parseInfo({ DockerRootDir: "/d", SecurityOptions: ["ok", 3] }), internal('Unexpected Docker "info" response: field "SecurityOptions[1]" is a number, expected a string'));
    assert.throws(() => parseInfo({ DockerRootDir: "/d", Runtimes: "runc" }), internal('Unexpected Docker "info" response: field "Runtimes" is a string, expected an object'));
    assert.throws(() => parseVersion({ Version: "1" }), internal('Unexpected Docker "version" response: field "ApiVersion" is missing'));
    assert.throws(() => parseVersion([]), internal('Unexpected Docker "version" response: the body is an array, expected an object'));
  });

  it("names nested fields with their path", () => {
    const r = JsonObjectReader.of({ State: { Pid: "12" }, Mounts: [{ Source: "/a" }, { Source: 1 }] }, 'Docker "inspect_container" response');
    assert.throws(() => r.object("State").number("Pid"), internal('Unexpected Docker "inspect_container" response: field "State.Pid" is a string, expected a number'));
    assert.throws(() => r.optObjectArray("Mounts").map((m) => m.string("Source")), internal('Unexpected Docker "inspect_container" response: field "Mounts[1].Source" is a number, expected a string'));
  });

  it("treats Go's null slices and maps as empty and an empty cgroup driver as cgroupfs", () => {
    const info = parseInfo({ DockerRootDir: "/var/lib/docker", CgroupDriver: "", SecurityOptions: null, Runtimes: null, Warnings: null, NCPU: 2 });
    assert.equal(info.cgroupDriver, "cgroupfs");
    assert.deepEqual(info.securityOptions, []);
    assert.deepEqual(info.runtimes, []);
    assert.equal(info.ncpu, 2);
    const labels = JsonObjectReader.of({ Labels: null }, "x").optStringMap("Labels");
    assert.deepEqual(labels, {});
  });

  it("lists runtimes by name and keeps the systemd driver", () => {
    const info = parseInfo({ DockerRootDir: "/d", CgroupDriver: "systemd", CgroupVersion: "2", Runtimes: { runc: { path: "runc" }, crun: { path: "/usr/bin/crun" } }, DefaultRuntime: "runc" });
    assert.equal(info.cgroupDriver, "systemd");
    assert.equal(info.cgroupVersion, "2");
    assert.deepEqual(info.runtimes, ["crun", "runc"]);
    assert.equal(info.defaultRuntime, "runc");
  });
});
