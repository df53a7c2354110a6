import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ListContainerStatsResponseSchema, ListPodSandboxResponseSchema, PodSandboxState } from "../gen/index.js";
import { encodedChunkItems, encodeInSlices, slicedEncodingFrom } from "./boundary.js";

function podList(n: number) {
  return {
    items: Array.from({ length: n }, (_, i) => ({
      id: `sandbox-${i}-${"f".repeat(i % 70)}`,
      metadata: { name: `pod-${i}`, namespace: "ns", uid: `uid-${i}`, attempt: i % 3 },
      state: i % 2 === 0 ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY,
      createdAt: BigInt(i) * 1_000_000_007n,
      labels: { app: `a${i}`, "io.kubernetes.pod.name": `pod-${i}` },
      annotations: i % 5 === 0 ? { note: "x".repeat(300) } : {},
      runtimeHandler: "",
    })),
  };
}

describe("encodeInSlices", () => {
  it("gives bytes that decode to the message toBinary encodes, for short and long lists", async () => {
    for (const n of [0, 1, slicedEncodingFrom, slicedEncodingFrom + 1, 2 * encodedChunkItems, 2 * encodedChunkItems + 1, 300]) {
      const value = podList(n);
      const bytes = await encodeInSlices(ListPodSandboxResponseSchema, value);
      const expected = create(ListPodSandboxResponseSchema, value);
      const decoded = fromBinary(ListPodSandboxResponseSchema, bytes);
      assert.ok(equals(ListPodSandboxResponseSchema, decoded, expected), `${n} items`);
      // The list is the message's only field, so the chunks' bytes are exactly toBinary's.
      assert.deepEqual(bytes, Buffer.from(toBinary(ListPodSandboxResponseSchema, expected)), `${n} items: the bytes of one piece`);
    }
  });

  it("keeps the other fields of a message with a long list, and nested messages whole", async () => {
    const value = {
      stats: Array.from({ length: 100 }, (_, i) => ({
        attributes: { id: `c${i}`, metadata: { name: `c${i}`, attempt: 0 }, labels: { k: "v" }, annotations: {} },
        cpu: { timestamp: 5n, usageCoreNanoSeconds: { value: BigInt(i) * 1000n } },
        memory: { timestamp: 5n, workingSetBytes: { value: 4096n } },
      })),
    };
    const bytes = await encodeInSlices(ListContainerStatsResponseSchema, value);
    assert.ok(equals(ListContainerStatsResponseSchema, fromBinary(ListContainerStatsResponseSchema, bytes), create(ListContainerStatsResponseSchema, value)));
  });

  it("lets other work run while it encodes a long list", async () => {
    let ranBetween = false;
    setImmediate(() => { ranBetween = true; });
    // A slice of 0 ms yields after every item.
    const encoding = encodeInSlices(ListPodSandboxResponseSchema, podList(200), 0);
    assert.equal(ranBetween, false);
    await encoding;
    assert.equal(ranBetween, true, "an immediate queued before the encoding ran before it finished");
  });
});
