export { openCheckpointDir } from "./checkpoint-dir.js";
export { writeFileAtomic } from "./atomic-write.js";
export { CheckpointStore } from "./checkpoint-store.js";
export { NameRegistrar } from "./name-registrar.js";
export { checkpointVersion, decodeCheckpoint, encodeCheckpoint } from "./sandbox-checkpoint.js";
export type { CheckpointPortMapping, DecodedCheckpoint, SandboxCheckpoint } from "./sandbox-checkpoint.js";
