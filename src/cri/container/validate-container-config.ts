import { isAbsolute, join, normalize } from "node:path";
import { CriError } from "../../errors/index.js";
import { checkContainerProcessPaths } from "../translate/index.js";
import type { ContainerConfig, ContainerMetadata, CreateContainerRequest, PodSandboxConfig } from "../../gen/index.js";

/** A CreateContainer request that passed validation. */
export interface ValidCreateRequest {
  readonly podSandboxId: string;
  readonly config: ContainerConfig;
  readonly metadata: ContainerMetadata;
  readonly image: string;
  readonly sandboxConfig: PodSandboxConfig | undefined;
  /** The kubelet's log file (log_directory joined with log_path), or "" when it asked for none. */
  readonly logPath: string;
}

/** The container name becomes a part of the Docker name, which is "_"-separated and parsed back. */
const namePart = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

export function validateCreateRequest(request: CreateContainerRequest): ValidCreateRequest {
  if (request.podSandboxId === "") throw new CriError("InvalidArgument", "CreateContainer needs a pod_sandbox_id");
  const config = request.config;
  if (config === undefined) throw new CriError("InvalidArgument", "CreateContainer needs a config");
  const metadata = config.metadata;
  if (metadata === undefined) throw new CriError("InvalidArgument", "CreateContainer needs config.metadata");
  if (metadata.name === "") throw new CriError("InvalidArgument", "Invalid container metadata: name is empty");
  if (metadata.name.length > 253) throw new CriError("InvalidArgument", `Invalid container metadata: name is ${metadata.name.length} characters long, more than Kubernetes allows (253)`);
  if (!namePart.test(metadata.name)) {
    throw new CriError("InvalidArgument", `Invalid container metadata: name "${metadata.name}" may only contain letters, digits, "." and "-" (it becomes part of the Docker container name)`);
  }
  const image = config.image?.image ?? "";
  if (image === "") throw new CriError("InvalidArgument", `Invalid config of container "${metadata.name}": image is empty`);
  if (/\s/.test(image)) throw new CriError("InvalidArgument", `Invalid config of container "${metadata.name}": image "${image}" contains whitespace`);
  if (config.workingDir !== "" && !isAbsolute(config.workingDir)) {
    throw new CriError("InvalidArgument", `Invalid config of container "${metadata.name}": working_dir "${config.workingDir}" is not absolute`);
  }
  checkContainerProcessPaths(config);
  return { podSandboxId: request.podSandboxId, config, metadata, image, sandboxConfig: request.sandboxConfig, logPath: logPathOf(request.sandboxConfig?.logDirectory ?? "", config.logPath) };
}

/**
 * The kubelet's log file: PodSandboxConfig.log_directory joined with ContainerConfig.log_path (what
 * cri-dockerd puts in the io.kubernetes.container.logpath label). docker-cri writes this file as
 * root, so it must be absolute and stay inside the log directory.
 */
function logPathOf(directory: string, relative: string): string {
  if (relative === "") return "";
  if (relative.split("/").includes("..")) throw new CriError("InvalidArgument", `Invalid log_path "${relative}": it may not contain ".."`);
  if (directory.split("/").includes("..")) throw new CriError("InvalidArgument", `Invalid log_directory "${directory}": it may not contain ".."`);
  const full = normalize(directory === "" ? relative : join(directory, relative));
  if (!isAbsolute(full)) {
    throw new CriError("InvalidArgument", `Invalid log path "${full}": log_path must be absolute, or relative to the sandbox's log_directory`);
  }
  return full;
}
