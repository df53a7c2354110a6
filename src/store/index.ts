export { openCheckpointDir } from "./checkpoint-dir.js";
