import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { CriError } from "../errors/index.js";
import { NoopPlugin, type NetworkPlugin } from "../network/index.js";
import { instrumentNetworkPlugin } from "./network-operations.js";

describe("network plugin metrics", () => {
  it("counts and times setup and teardown, and their errors, by operation type", async () => {
    const registry = new Registry();
    const inner: NetworkPlugin = new NoopPlugin();
    let failTeardown = true;
    // A NoopPlugin whose teardown fails on demand.
    const flaky: NetworkPlugin = {
      name: inner.name,
      sandboxNetworkMode: inner.sandboxNetworkMode,
      status: () => inner.status(),
      setPodCidr: (c) => { inner.setPodCidr(c); },
      podCidr: () => inner.podCidr(),
      setUpPod: (p, s) => inner.setUpPod(p, s),
      tearDownPod: () => (failTeardown ? Promise.reject(new CriError("Internal", "DEL failed")) : Promise.resolve()),
    };
    const plugin = instrumentNetworkPlugin(flaky, registry);
    assert.equal(plugin.name, "");
    assert.equal(plugin.sandboxNetworkMode, "default");
    const ref = { namespace: "n", name: "p", sandboxId: "x", netnsPath: "", portMappings: [] };
    await plugin.setUpPod({ ...ref, annotations: {}, dns: undefined }, AbortSignal.timeout(1000));
    await assert.rejects(plugin.tearDownPod(ref, AbortSignal.timeout(1000)), /DEL failed/);
    failTeardown = false;
    await plugin.tearDownPod(ref, AbortSignal.timeout(1000), { removing: true });
    plugin.setPodCidr("10.1.0.0/16");
    assert.equal(plugin.podCidr(), "10.1.0.0/16");
    const text = await registry.metrics();
    assert.match(text, /network_plugin_operations_total\{operation_type="set_up_pod"\} 1/);
    assert.match(text, /network_plugin_operations_total\{operation_type="tear_down_pod"\} 2/);
    assert.match(text, /network_plugin_operations_errors_total\{operation_type="tear_down_pod"\} 1/);
    assert.doesNotMatch(text, /network_plugin_operations_errors_total\{operation_type="set_up_pod"\}/);
    assert.match(text, /network_plugin_operations_duration_seconds_count\{operation_type="set_up_pod"\} 1/);
    // A second wrapper on the same registry shares the metrics instead of failing.
    instrumentNetworkPlugin(inner, registry);
  });
});
