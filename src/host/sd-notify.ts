import { setTimeout as sleep } from "node:timers/promises";
import { errnoCode, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { addonLoader } from "../util/native-addon.js";

/**
 * systemd's readiness protocol (sd_notify(3)) for a Type=notify unit: "READY=1" once the CRI socket
 * serves, "STOPPING=1" when shutdown begins, "STATUS=…" lines for `systemctl status`. A no-op when
 * systemd did not set NOTIFY_SOCKET (started by hand, or Type=simple).
 */
export interface SdNotifier {
  /** True when NOTIFY_SOCKET was given: there is someone to tell. */
  readonly enabled: boolean;
  /** Sends newline-separated `KEY=value` assignments; never throws (a failure is logged). Resolves true when sent. */
  notify(state: string): Promise<boolean>;
}

interface SdNotifyAddon {
  notify(socketPath: string, state: string): void;
}

/**
 * Where the build puts the addon (scripts/build-addons.mjs), seen from src/host/ (tsx) and
 * from dist/src/host/ (tsc). The standalone executable extracts it to the place the first candidate
 * names (scripts/package.mjs).
 */
const addonCandidates = [
  new URL("../../dist/native/sd-notify.node", import.meta.url),
  new URL("../../native/sd-notify.node", import.meta.url),
];

/** systemd's queue for the notify socket can be full for a moment; these are the waits between tries. */
const retryDelaysMs = [20, 100, 500];

const loadAddon = addonLoader(
  {
    name: "sd-notify",
    exportName: "notify",
    candidates: addonCandidates,
    notBuilt: "The sd-notify addon is not built (run `npm run build`, which needs a C compiler)",
    cannotLoad: (path, reason) => `Cannot load the sd-notify addon "${path}": ${reason}`,
  },
  // The addon's contract (sd-notify.c): notify(string, string) → undefined, throwing on failure.
  (notify): SdNotifyAddon => ({ notify }),
);

/** systemd sets an absolute path, or "@name" for the abstract namespace; vsock: and others are not supported. */
function isSupportedSocket(socketPath: string): boolean {
  return socketPath.length > 1 && (socketPath.startsWith("/") || socketPath.startsWith("@"));
}

/**
 * `socketPath` is NOTIFY_SOCKET as systemd passed it (undefined or "" disables notification). The
 * addon is loaded at the first notification, so a daemon not run by systemd never needs it.
 */
export function createSdNotifier(socketPath: string | undefined, log: Logger): SdNotifier {
  if (socketPath === undefined || socketPath === "") {
    return { enabled: false, notify: () => Promise.resolve(false) };
  }
  return {
    enabled: true,
    async notify(state) {
      const first = state.split("\n", 1)[0];
      if (!isSupportedSocket(socketPath)) {
        log.error({ notifySocket: socketPath, state: first }, "Cannot notify systemd: NOTIFY_SOCKET is neither an absolute path nor an abstract socket (@name)");
        return false;
      }
      for (let attempt = 0; ; attempt++) {
        try {
          loadAddon().notify(socketPath, state);
          log.debug({ notifySocket: socketPath, state: first }, "Notified systemd");
          return true;
        } catch (err) {
          const delay = retryDelaysMs[attempt];
          if (errnoCode(err) === "EAGAIN" && delay !== undefined) {
            await sleep(delay);
            continue;
          }
          log.error({ notifySocket: socketPath, state: first, err }, `Cannot notify systemd: ${errorMessage(err)}`);
          return false;
        }
      }
    },
  };
}
