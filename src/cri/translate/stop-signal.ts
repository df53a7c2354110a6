import { CriError } from "../../errors/index.js";
import { Signal } from "../../gen/index.js";

/**
 * CRI's Signal enum and Docker's `StopSignal` ("SIGTERM", "SIGRTMIN+3"). The enum's names drop the
 * "+"/"-" of the real-time signals (SIGRTMINPLUS3, SIGRTMAXMINUS2), which Docker spells as the
 * kernel does. RUNTIME_DEFAULT is Docker's default: the image's STOPSIGNAL, else SIGTERM.
 */
export function dockerStopSignal(signal: Signal): string {
  if (signal === Signal.RUNTIME_DEFAULT) return "";
  const name = Signal[signal] as string | undefined; // a reverse enum lookup is undefined for numbers it does not know
  if (name === undefined) throw new CriError("InvalidArgument", `Unknown stop signal ${String(signal)}`);
  return name.replace(/^SIGRTMINPLUS(\d+)$/, "SIGRTMIN+$1").replace(/^SIGRTMAXMINUS(\d+)$/, "SIGRTMAX-$1");
}

/** The enum's members by name ("SIGTERM" → Signal.SIGTERM). */
const signalsByName = new Map<string, Signal>();
for (const v of Object.values(Signal)) if (typeof v === "number") signalsByName.set(Signal[v], v);

/** Docker's `StopSignal` back as the CRI enum; unknown or numeric spellings read as RUNTIME_DEFAULT. */
export function criStopSignal(dockerSignal: string): Signal {
  if (dockerSignal === "") return Signal.RUNTIME_DEFAULT;
  const upper = dockerSignal.toUpperCase();
  const name = (upper.startsWith("SIG") ? upper : `SIG${upper}`).replace(/^SIGRTMIN\+(\d+)$/, "SIGRTMINPLUS$1").replace(/^SIGRTMAX-(\d+)$/, "SIGRTMAXMINUS$1");
  return signalsByName.get(name) ?? Signal.RUNTIME_DEFAULT;
}
