import { keyValue, parseUint, type ReadPseudoFile } from "./cgroup-files.js";

/**
 * One file a usage read takes values from: the whole file as one unsigned integer (cpuacct.usage,
 * memory.current), or some "key value" lines of it (memory.stat, cpu.stat).
 */
export interface CounterFile {
  readonly path: string;
  readonly keys?: readonly string[];
}

/** The values of a list of CounterFiles, by the file's index in it (and the key's in its keys). */
export interface Counters {
  /** The file's integer, or its keys[key] line's; undefined when absent, not an integer, or unreadable. */
  value(file: number, key?: number): bigint | undefined;
  /** Whether the file could be read at all. */
  readable(file: number): boolean;
}

/** A slot's state in a batch of values (read-files.c's readValues): a value, none, or the file unreadable. */
export const slotValue = 1;
export const slotNone = 0;
export const slotUnreadable = 2;

/** Each file's values in a batch, one after another: one slot per file, or one per key. */
export interface CounterValues {
  readonly values: BigUint64Array;
  readonly states: Uint8Array;
}

/** How many slots a file takes in a batch. */
export function slotsOf(file: CounterFile): number {
  return file.keys?.length ?? 1;
}

/** The files' values from their texts (read through `read`, each once, when first asked): the synchronous path. */
export function textCounters(files: readonly CounterFile[], read: ReadPseudoFile): Counters {
  const texts = new Map<number, string | undefined>();
  const text = (file: number): string | undefined => {
    if (texts.has(file)) return texts.get(file);
    const path = files[file]?.path;
    const t = path === undefined ? undefined : read(path);
    texts.set(file, t);
    return t;
  };
  return {
    value(file, key) {
      const t = text(file);
      if (t === undefined) return undefined;
      const name = key === undefined ? undefined : files[file]?.keys?.[key];
      return name === undefined ? parseUint(t.trim()) : keyValue(t, name);
    },
    readable: (file) => text(file) !== undefined,
  };
}

/** Each file's first slot, counted from the first file's, and the slots of them all. */
export function slotLayout(files: readonly CounterFile[]): { readonly starts: readonly number[]; readonly slots: number } {
  const starts: number[] = [];
  let at = 0;
  for (const f of files) {
    starts.push(at);
    at += slotsOf(f);
  }
  return { starts, slots: at };
}

/**
 * The values of files laid out as `starts` (slotLayout) in a batch, from slot `base` on: what a usage
 * read takes from the read-files addon's readValues, with no text and no parse on the event loop.
 */
export function slotCounters(starts: readonly number[], batch: CounterValues, base: number): Counters {
  const slot = (file: number, key = 0): number => {
    const start = starts[file];
    return start === undefined ? -1 : base + start + key;
  };
  return {
    value(file, key) {
      const s = slot(file, key);
      return s >= 0 && batch.states[s] === slotValue ? batch.values[s] : undefined;
    },
    readable(file) {
      const s = slot(file);
      return s >= 0 && s < batch.states.length && batch.states[s] !== slotUnreadable;
    },
  };
}

/** Writes a file's values, parsed from its text (undefined: unreadable), into its slots from `slot` on. */
export function fillSlots(batch: CounterValues, slot: number, file: CounterFile, text: string | undefined): void {
  const keys = file.keys;
  const n = slotsOf(file);
  for (let k = 0; k < n; k++) {
    const name = keys?.[k];
    const parsed = text === undefined ? undefined : name === undefined ? parseUint(text.trim()) : keyValue(text, name);
    // As the addon parses: a value past 64 bits is none.
    const v = parsed !== undefined && parsed < 1n << 64n ? parsed : undefined;
    batch.values[slot + k] = v ?? 0n;
    batch.states[slot + k] = text === undefined ? slotUnreadable : v === undefined ? slotNone : slotValue;
  }
}
