import { CriError } from "../../errors/index.js";

export const ingressBandwidthAnnotation = "kubernetes.io/ingress-bandwidth";
export const egressBandwidthAnnotation = "kubernetes.io/egress-bandwidth";

/** The `bandwidth` capability as the CNI bandwidth plugin reads it: rates in bit/s, bursts in bits. */
export interface BandwidthArgs {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

/** The kubelet's bounds on a pod's bandwidth: below 1 kbit/s or above 1 Pbit/s is refused as unreasonable. */
const minRate = 1_000;
const maxRate = 1e15;
/**
 * The kubelet sets the burst to the largest int32 (about 2 Gbit) so that the plugin's token bucket
 * does not cut the rate below what was asked; we do the same.
 */
const burst = 2 ** 31 - 1;

const decimalSuffixes: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/**
 * A Kubernetes resource quantity (`10M`, `1.5Gi`, `100k`, `1e6`) as a whole number, rounded up as
 * Quantity.Value() does; undefined when the text is not a quantity.
 */
export function parseQuantity(text: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  let factor = 1;
  if (m[2] !== undefined) factor = 10 ** Number(m[2].slice(1));
  else if (m[3] !== undefined) factor = binarySuffixes[m[3]] ?? decimalSuffixes[m[3]] ?? 1;
  const value = n * factor;
  return Number.isFinite(value) ? Math.ceil(value) : undefined;
}

/**
 * The `bandwidth` capability from the pod's `kubernetes.io/ingress-bandwidth` and
 * `kubernetes.io/egress-bandwidth` annotations (bits per second); undefined when neither is set.
 * An invalid or unreasonable value is InvalidArgument, as the kubelet refused such pods.
 */
export function bandwidthFromAnnotations(annotations: Readonly<Record<string, string>>): BandwidthArgs | undefined {
  const ingress = rate(annotations, ingressBandwidthAnnotation);
  const egress = rate(annotations, egressBandwidthAnnotation);
  if (ingress === undefined && egress === undefined) return undefined;
  const out: BandwidthArgs = {};
  if (ingress !== undefined) {
    out.ingressRate = ingress;
    out.ingressBurst = burst;
  }
  if (egress !== undefined) {
    out.egressRate = egress;
    out.egressBurst = burst;
  }
  return out;
}

function rate(annotations: Readonly<Record<string, string>>, key: string): number | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  const value = parseQuantity(text);
  if (value === undefined) throw new CriError("InvalidArgument", `Invalid pod annotation ${key}="${text}": not a quantity such as "10M"`);
  if (value < minRate) throw new CriError("InvalidArgument", `Invalid pod annotation ${key}="${text}": below 1k (bit/s), which is unreasonably small`);
  if (value > maxRate) throw new CriError("InvalidArgument", `Invalid pod annotation ${key}="${text}": above 1P (bit/s), which is unreasonably large`);
  return value;
}
