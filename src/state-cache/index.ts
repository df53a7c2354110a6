// The container state cache: Docker's containers of one label kept in memory, fed by Docker's event
// stream with a resync on start and after every reconnect. Imports docker/errors/log only.
export { CachedContainersApi, filterPredicate, summaryOf } from "./cached-containers-api.js";
export { listWritableLayerSizes } from "./container-sizes.js";
export { followedActions, openContainerEvents, parseDockerEvent } from "./docker-events.js";
export type { DockerContainerEvent, FollowedAction } from "./docker-events.js";
export { resyncChanges } from "./resync-changes.js";
export { StateCache } from "./state-cache.js";
export type { ContainerChange } from "./container-change.js";
export type { StateCacheOptions } from "./state-cache.js";
export { TrackingTransport } from "./tracking-transport.js";
