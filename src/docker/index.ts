// Public surface of the Docker Engine API client. Knows nothing of CRI; imports only errors/log/util.
export { compareApiVersions, minApiVersion } from "./api-version.js";
export { ContainersApi } from "./containers-api.js";
export type { ContainerCreateResult, ContainerListFilters, ContainerResourceUpdate, ReadOptions } from "./containers-api.js";
export { parseContainerInspect } from "./container-inspect.js";
export type { ContainerConfig, ContainerHostConfig, ContainerInspect, ContainerMount, HostConfigMount, ContainerState, DeviceMapping, EndpointSettings, NetworkSettings, PortBinding } from "./container-inspect.js";
export { parseContainerList } from "./container-summary.js";
export type { ContainerSummary } from "./container-summary.js";
export { DockerClient } from "./docker-client.js";
export { ExecApi } from "./exec-api.js";
export type { ContainerRuntimeInfo, ExecCreateOptions, ExecInspect, StdioAttach, TtySize } from "./exec-api.js";
export { ImagesApi } from "./images-api.js";
export type { DockerDiskUsage, ImageDeleteRecord, PullProgress, PullRequest } from "./images-api.js";
export type { DockerImage, DockerImageConfig, DockerImageHistoryItem, DockerImageSummary } from "./image-types.js";
export type { DockerClientOptions } from "./request-options.js";
export { parseEndpoint } from "./endpoint.js";
export { FEATURE_API_VERSIONS, FEATURE_DOCKER_RELEASES, engineFeatures, imageStoreOf, kernelAtLeast } from "./engine-features.js";
export type { EngineFeatures, ImageStore } from "./engine-features.js";
export { EngineState } from "./engine-state.js";
export { openEventStream, readEventLine } from "./event-stream.js";
export type { EventLine } from "./event-stream.js";
export type { DockerEndpoint } from "./endpoint.js";
export { formatGoDuration } from "./go-duration.js";
export { parseInfo } from "./info.js";
export type { DockerInfo } from "./info.js";
export { MIN_API_VERSION, OUR_MAX_API_VERSION, negotiateApiVersion } from "./negotiate.js";
export type { NegotiatedVersion } from "./negotiate.js";
export { JsonObjectReader } from "./parse.js";
export { DockerApiError, dockerApiErrorOf } from "./status-error.js";
export type { StartRefusal } from "./status-error.js";
export { StdFrameParser, StdStream, demuxStream } from "./stdcopy.js";
export type { StdFrame } from "./stdcopy.js";
export type {
  DockerHijackResponse,
  DockerRequestOptions,
  DockerResponse,
  DockerStreamResponse,
  DockerTransport,
  HttpMethod,
  QueryValue,
  ResponseHeaders,
} from "./transport.js";
export { HttpTransport } from "./http-transport.js";
export type { HttpTransportOptions } from "./http-transport.js";
export { parseVersion } from "./version.js";
export type { DockerVersion } from "./version.js";
