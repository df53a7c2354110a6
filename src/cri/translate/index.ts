// The only place that knows both CRI and Docker shapes: naming, labels, security options, state, time.
export { expectedCgroupParent } from "./cgroup-parent.js";
export { dockerTimeToNanos, secondsToNanos } from "./docker-time.js";
export {
  annotationPrefix,
  containerLogPathLabel,
  containerNameLabel,
  containerTypeContainer,
  containerTypeLabel,
  containerTypeSandbox,
  extractLabels,
  makeLabels,
  matchesSelector,
  podNameLabel,
  podNamespaceLabel,
  podUidLabel,
  privilegedModeLabel,
  runtimeHandlerLabel,
  sandboxIdLabel,
} from "./labels.js";
export { makeContainerName, makeSandboxName, parseContainerName, parseSandboxName, randomizeName, sandboxContainerName } from "./naming.js";
export type { ContainerNameParts, SandboxNameParts } from "./naming.js";
export { sandboxNamespaceOptions } from "./namespace-mode.js";
export type { DockerNamespaceModes } from "./namespace-mode.js";
export { makePortBindings, protocolName } from "./port-bindings.js";
export type { DockerPortBinding, PortProtocol } from "./port-bindings.js";
export { dockerUser, seccompSecurityOpts, selinuxSecurityOpts } from "./security-opts.js";
export { containerStateOf, sandboxStateOf } from "./state.js";
export { checkCommand, checkContainerProcessPaths, checkPathLength, maxArgBytes, maxFirstArgBytes, maxPathBytes } from "./process-limits.js";
export type { CapabilityEnvironment } from "./capabilities.js";
