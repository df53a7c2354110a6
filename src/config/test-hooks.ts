import { CriError } from "../errors/index.js";

/**
 * TEST-ONLY pause points, read from the environment so that no operator flag exposes them. They let
 * the end-to-end tests kill docker-cri at an exact step (e.g. between creating and starting a
 * sandbox container) instead of racing a timer. Unset in production, where every value is 0.
 */
export interface TestHooks {
  /** DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS: after the sandbox container and its checkpoint exist, wait this long before starting it. */
  readonly pauseAfterSandboxCreateMs: number;
  /** DOCKER_CRI_TEST_STREAMING_TOKEN_TTL_MS: how long exec/attach/port-forward URLs stay valid instead of 1 minute (0: the default). */
  readonly streamingTokenTtlMs: number;
}

export const testHookEnv = {
  pauseAfterSandboxCreateMs: "DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS",
  streamingTokenTtlMs: "DOCKER_CRI_TEST_STREAMING_TOKEN_TTL_MS",
} as const;

export function parseTestHooks(env: Readonly<Record<string, string | undefined>>): TestHooks {
  return Object.freeze({
    pauseAfterSandboxCreateMs: millis(env, testHookEnv.pauseAfterSandboxCreateMs),
    streamingTokenTtlMs: millis(env, testHookEnv.streamingTokenTtlMs),
  });
}

function millis(env: Readonly<Record<string, string | undefined>>, name: string): number {
  const text = env[name];
  if (text === undefined || text === "") return 0;
  if (!/^\d{1,9}$/.test(text)) throw new CriError("InvalidArgument", `Invalid ${name} "${text}": expected a number of milliseconds`);
  return Number(text);
}
