import { formatGoDuration, type PullProgress } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";

export interface PullWatch {
  /** The image being pulled, for logs and messages. */
  readonly image: string;
  /** Cancel when no progress message arrived for this long (--image-pull-progress-deadline); 0 never cancels. */
  readonly progressDeadlineMs: number;
  /** Log the latest progress this often while the pull runs. */
  readonly logIntervalMs: number;
  readonly log: Logger;
  /** Cancels the Docker pull; called at most once, with the error the pull must fail with. */
  readonly cancel: (reason: CriError) => void;
}

export interface PullOutcome {
  /** Progress messages read. */
  readonly messages: number;
  /** The last one, described ("Status: Downloaded newer image for …"). */
  readonly last: string;
}

/**
 * Reads a pull's progress stream to the end (the stream itself throws on Docker's first error
 * object), logs the latest progress every `logIntervalMs`, and cancels the pull when no message came
 * for `progressDeadlineMs`, as dockershim's progress reporter did.
 *
 * A layer that is being extracted is alive even when Docker says nothing for a while: extraction of
 * a large layer reports little, and cancelling it would only restart the same work on the next try.
 * So the deadline is only enforced while no layer's latest status is "Extracting".
 *
 * The deadline is the registry's silence, not ours: when this process was descheduled (a loaded
 * node) or its event loop busy for longer than the deadline, messages Docker sent meanwhile wait
 * unread in the socket, and timers run before I/O in a turn of the loop. So a deadline found passed is
 * checked again after the loop has read what arrived (setImmediate runs after the poll phase), and
 * only then cancels.
 */
export async function followPullProgress(messages: AsyncIterable<PullProgress>, watch: PullWatch): Promise<PullOutcome> {
  const layers = new Map<string, string>();
  let count = 0;
  let last: PullProgress | undefined;
  let lastAt = performance.now();
  let stalled: CriError | undefined;

  let confirm: NodeJS.Immediate | undefined;
  const check = (confirmed = false): void => {
    confirm = undefined;
    const quietMs = performance.now() - lastAt;
    const extracting = [...layers.values()].some((status) => status === "Extracting");
    if (quietMs < watch.progressDeadlineMs || extracting) {
      stallTimer = setTimeout(check, extracting ? watch.progressDeadlineMs : watch.progressDeadlineMs - quietMs);
      return;
    }
    if (!confirmed) {
      confirm = setImmediate(check, true);
      return;
    }
    const lastText = last === undefined ? "none" : `"${describeProgress(last)}"`;
    stalled = new CriError(
      "DeadlineExceeded",
      `Cannot pull image "${watch.image}": canceled after ${formatGoDuration(watch.progressDeadlineMs)} without progress (--image-pull-progress-deadline); last progress: ${lastText}`,
    );
    watch.log.warn({ image: watch.image, deadline: formatGoDuration(watch.progressDeadlineMs), lastProgress: last === undefined ? undefined : describeProgress(last) }, "Canceling image pull: no progress");
    watch.cancel(stalled);
  };
  // A zero deadline turns the watchdog off rather than cancelling every pull at once.
  let stallTimer: NodeJS.Timeout | undefined = watch.progressDeadlineMs > 0 ? setTimeout(check, watch.progressDeadlineMs) : undefined;
  const logTimer = setInterval(() => {
    watch.log.info({ image: watch.image, progress: last === undefined ? "waiting for the registry" : describeProgress(last), messages: count }, "Pulling image");
  }, watch.logIntervalMs);

  try {
    for await (const msg of messages) {
      count++;
      last = msg;
      lastAt = performance.now();
      if (msg.id !== "" && isLayerStatus(msg.status)) layers.set(msg.id, msg.status);
    }
  } catch (err) {
    // The cancellation surfaces as whatever error the aborted stream raised; report why it was cancelled.
    throw stalled ?? err;
  } finally {
    clearTimeout(stallTimer);
    clearImmediate(confirm);
    clearInterval(logTimer);
  }
  if (stalled !== undefined) throw stalled;
  return { messages: count, last: last === undefined ? "" : describeProgress(last) };
}

/** "Downloading 2e3f826e2531: [====>   ] 3.6kB/300kB", or just the status for whole-pull messages. */
export function describeProgress(msg: PullProgress): string {
  const subject = msg.id === "" ? msg.status : `${msg.status} ${msg.id}`;
  return msg.progress === "" ? subject : `${subject}: ${msg.progress}`;
}

/**
 * Statuses Docker sends per layer. Messages whose id is a tag ("Pulling from x", id "v1") are not
 * layers; they never say "Extracting", so tracking them would do no harm, but keep the map to layers.
 */
function isLayerStatus(status: string): boolean {
  return status !== "" && !status.startsWith("Pulling from") && !status.startsWith("Digest:") && !status.startsWith("Status:");
}
