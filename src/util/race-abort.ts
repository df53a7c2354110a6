import { CriError, toCriError } from "../errors/index.js";

/**
 * Waits for `work` unless `signal` aborts first, in which case it rejects with the signal's reason
 * while `work` carries on. For work that must finish even when its caller gives up (a kubelet that
 * retries after a timeout gets the first attempt's result); the caller still owns `work`'s outcome
 * and must handle its rejection.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(reasonOf(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : toCriError(err));
      },
    );
  });
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new CriError("Canceled", "The request was canceled");
}
