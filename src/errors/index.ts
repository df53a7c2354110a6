export { CriError, errnoCode, errorKinds, errorMessage, hasKind, isCriError, toCriError } from "./cri-error.js";
export type { ErrorKind } from "./cri-error.js";
export { withContext } from "./with-context.js";
