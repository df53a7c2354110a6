import { CriError } from "../errors/index.js";

/**
 * Names reserved in this process, each for one key (a request or a sandbox id), as containerd's
 * registrar does: reserving a name another key holds fails with AlreadyExists, reserving it again
 * for the same key is a no-op. RunPodSandbox records here which sandbox a pod's name resolved to, so
 * that a retry finds it even when it had to be created under a randomized Docker name.
 */
export class NameRegistrar {
  readonly #keyByName = new Map<string, string>();
  readonly #namesByKey = new Map<string, Set<string>>();

  reserve(name: string, key: string): void {
    const holder = this.#keyByName.get(name);
    if (holder === key) return;
    if (holder !== undefined) {
      throw new CriError("AlreadyExists", `Name "${name}" is reserved for "${holder}"`);
    }
    this.#keyByName.set(name, key);
    let names = this.#namesByKey.get(key);
    if (names === undefined) {
      names = new Set();
      this.#namesByKey.set(key, names);
    }
    names.add(name);
  }

  /** The key holding `name`, if any. */
  keyOf(name: string): string | undefined {
    return this.#keyByName.get(name);
  }

  release(name: string): void {
    const key = this.#keyByName.get(name);
    if (key === undefined) return;
    this.#keyByName.delete(name);
    const names = this.#namesByKey.get(key);
    names?.delete(name);
    if (names?.size === 0) this.#namesByKey.delete(key);
  }

  /** Releases every name `key` holds. */
  releaseKey(key: string): void {
    for (const name of this.#namesByKey.get(key) ?? []) this.#keyByName.delete(name);
    this.#namesByKey.delete(key);
  }
}
