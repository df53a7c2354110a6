import type { ImageService, RuntimeService } from "../gen/index.js";
import type { RuntimeInfoDeps } from "./runtime/runtime-deps.js";
import { runtimeConfig } from "./runtime/runtime-config.js";
import { status } from "./runtime/status.js";
import { updateRuntimeConfig } from "./runtime/update-runtime-config.js";
import { version } from "./runtime/version.js";
import type { ServiceImpl } from "./service-impl.js";

export type RuntimeServiceDeps = RuntimeInfoDeps;

/** RuntimeService as built so far; RPCs not listed here answer Unimplemented at the boundary. */
export function runtimeServiceImpl(deps: RuntimeServiceDeps): ServiceImpl<typeof RuntimeService> {
  return {
    version: (req, ctx) => version(deps, req, ctx),
    status: (req, ctx) => status(deps, req, ctx),
    runtimeConfig: (req, ctx) => runtimeConfig(deps, req, ctx),
    updateRuntimeConfig: (req, ctx) => updateRuntimeConfig(deps, req, ctx),
  };
}

/** ImageService: every RPC answers Unimplemented until the image issue lands. */
export function imageServiceImpl(): ServiceImpl<typeof ImageService> {
  return {};
}
