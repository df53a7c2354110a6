import { setTimeout as sleep } from "node:timers/promises";
import type { DockerImage, ImagesApi } from "../../docker/index.js";
import { CriError, toCriError } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { DiskUsageCache, type DiskUsageReading } from "./disk-usage-reading.js";
import type { ImageEngineEvent } from "./image-events.js";
import { readSnapshot, type ImageSnapshot } from "./image-snapshot.js";
import { SerialRefresh } from "./serial-refresh.js";

/** What the ImageService handlers read through; `uncachedImageState` is the same without memory. */
export interface ImageState {
  /**
   * Docker's images as of every event received and every write of ours that finished, or undefined
   * when memory cannot be trusted (the event stream is down, or the last read failed): the caller
   * then asks Docker itself.
   */
  images(signal: AbortSignal): Promise<ImageSnapshot | undefined>;
  /** After a pull or removal of ours: resolves once a read that started after it is in. */
  changed(signal: AbortSignal): Promise<void>;
  /**
   * After a removal of ours that Docker confirmed deleted the image: answers leave it out at once,
   * until a read that started after the removal is in (requested here, not waited for).
   */
  removed(imageId: string): void;
  /**
   * After a pull of ours, with the pulled image's inspect: when memory already holds that image
   * under the same names (a pull of an image already present), nothing changed that an answer
   * shows, so a read is only requested; otherwise as changed.
   */
  pulled(image: Pick<DockerImage, "id" | "repoTags" | "repoDigests">, signal: AbortSignal): Promise<void>;
  /** `/system/df`, from memory when fresh enough (see DiskUsageCache). */
  diskUsage(signal: AbortSignal): Promise<DiskUsageReading>;
}

export interface ImageCacheOptions {
  /** Docker itself: the list and inspects of a read, `/system/df`. */
  readonly images: Pick<ImagesApi, "list" | "inspect" | "diskUsage">;
  /** Opens the subscription (openImageEvents); resolves once Docker answered. */
  readonly openEvents: (signal: AbortSignal) => Promise<AsyncIterable<ImageEngineEvent>>;
  readonly log: Logger;
  /** A snapshot older than this is answered once more while a new read starts (default 10 s). */
  readonly refreshPeriodMs?: number;
  /** A snapshot older than this is read again before it is answered (default 60 s). */
  readonly maxAgeMs?: number;
  /** Reconnect backoff while the stream fails: doubles from min (default 0.1 s) to max (default 1 s). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Monotonic milliseconds (default performance.now); tests move it by hand. */
  readonly now?: () => number;
}

export const defaultImageRefreshPeriodMs = 10_000;
export const defaultImageMaxAgeMs = 60_000;

/**
 * Docker's images (`/images/json` with each image's inspect) and `/system/df`, kept in memory so
 * that ListImages, StreamImages, ImageStatus and ImageFsInfo need no Docker round trip when nothing
 * changed.
 *
 *   start ──► subscribe to image events ──► read (list + inspects) ──► CURRENT: answer from memory
 *                 ▲                             ▲                          │ event / own pull or removal
 *                 │                             └──── read again ◄─────────┘ (reads wait for it)
 *                 └── backoff (0.1 s … 1 s) ◄── DOWN: every read asks Docker ◄── stream fails / ends
 *
 * Ordering: the subscription exists before the first read lists anything, so a change made during
 * a read arrives as an event and asks for another. Reads of Docker never overlap and each covers
 * every request made before it started (SerialRefresh), so an event, a write of ours and a periodic
 * re-read can come in any order and the newest reading still wins. A call waits for the read that
 * covers every event received before it, so it is never behind an event docker-cri has seen: only
 * an event still on its way (Docker sends it as the change completes) can be missing.
 *
 * Our own writes: PullImage (and the sandbox's pause pull) and RemoveImage wait, before answering,
 * for a read that started after Docker finished (changed), so the same client's next ImageStatus
 * or ListImages shows what it did. Two writes need no wait, as their outcome is known exactly: a
 * removal Docker confirmed hides the image from every answer until a read after it is in
 * (removed), and a pull of an image memory already holds under the same names changed nothing an
 * answer shows (pulled). Decisions that lead to a write never come from memory: the
 * pause image's presence check and RemoveImage's inspects ask Docker, and ImageStatus confirms with
 * Docker any image memory does not have before it answers "not present" (the kubelet pulls on that).
 *
 * Changes Docker sends no event for (an untagged `docker build` result, images containerd gets by
 * other ways): a snapshot older than 10 s is answered once more while a new read starts, and one
 * older than 60 s is read again first. No timer runs: an idle node costs nothing but the open
 * event stream, which the first image call opens (so a docker-cri never asked about images holds
 * none).
 */
export class ImageCache implements ImageState {
  readonly #opts: ImageCacheOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  readonly #images: SerialRefresh;
  readonly #disk: DiskUsageCache;
  #snapshot: ImageSnapshot | undefined;
  /** Image ids events named since the last read started: inspected again even if their names look the same. */
  #reinspect = new Set<string>();
  /** The subscription is open: events report every change. */
  #streaming = false;
  /** The next read inspects every image afresh (after each (re)connect: dockerd may be another release now). */
  #inspectAll = true;
  #loop: Promise<void> | undefined;
  /** Images our removals deleted → the read request that will show it; hidden from answers until that read is in. */
  readonly #gone = new Map<string, number>();
  /** The last snapshot with the gone images left out, for the same snapshot and the same gone set. */
  #view: { readonly from: ImageSnapshot; readonly gone: string; readonly snapshot: ImageSnapshot } | undefined;
  /** The newest read request answers must wait for (see #request). */
  #mustWait = 0;
  /** The last read failed: answers wait for a read that works, or go to Docker. */
  #readFailed = false;

  constructor(opts: ImageCacheOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#images = new SerialRefresh(
      () => this.#readImages(),
      (err) => {
        this.#readFailed = true;
        if (!this.#stopping()) this.#opts.log.warn({ err }, "Cannot read Docker's images into the image cache; reads ask Docker until a read works");
      },
    );
    this.#disk = new DiskUsageCache({
      read: (signal) => opts.images.diskUsage(signal),
      signal: this.#stop.signal,
      now: this.#now,
      onError: (err) => { this.#opts.log.debug({ err }, "Cannot read Docker's disk usage"); },
    });
  }

  /** True while the event stream is open and the last read worked: reads come from memory. */
  get current(): boolean {
    return this.#streaming && !this.#readFailed && this.#images.covers(this.#mustWait) && this.#snapshot !== undefined;
  }

  /**
   * Starts following Docker; the first read runs in the background (reads ask Docker until it is
   * in). The first image call starts it too: a docker-cri nobody asks about images subscribes to nothing.
   */
  start(): void {
    if (this.#stop.signal.aborted) return;
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#streaming = false;
    await this.#loop;
  }

  async images(signal: AbortSignal): Promise<ImageSnapshot | undefined> {
    const snap = await this.#snapshotNow(signal);
    return snap === undefined ? undefined : this.#visible(snap);
  }

  async #snapshotNow(signal: AbortSignal): Promise<ImageSnapshot | undefined> {
    this.start();
    if (!this.#streaming) return undefined;
    // Answers wait for the reads that events and our writes asked for, not for background ones
    // (the periodic re-read, the read confirming a removal of ours); after a failed read, for all.
    const target = this.#readFailed ? this.#images.requested : this.#mustWait;
    if (!this.#images.covers(target) && !(await this.#images.settled(target, signal))) return undefined;
    const snap = this.#snapshot;
    if (snap === undefined || !this.#up()) return undefined;
    const age = this.#now() - snap.takenAt;
    if (age > (this.#opts.maxAgeMs ?? defaultImageMaxAgeMs)) {
      if (!(await this.#images.settled(this.#request(true), signal)) || !this.#up()) return undefined;
      return this.#snapshot;
    }
    if (age > (this.#opts.refreshPeriodMs ?? defaultImageRefreshPeriodMs) && !this.#images.running) this.#request(false);
    return snap;
  }

  async changed(signal: AbortSignal): Promise<void> {
    this.start();
    this.#disk.markChanged();
    // While the stream is down every read asks Docker, and the resync after it covers this write.
    if (!this.#streaming) return;
    // A failed read leaves the cache not current: reads then ask Docker, which is right too.
    await this.#images.settled(this.#request(true), signal);
  }

  removed(imageId: string): void {
    this.#disk.markChanged();
    // While the stream is down every read asks Docker, and the resync after it covers this removal.
    if (!this.#streaming) return;
    this.#gone.set(imageId, this.#request(false));
  }

  async pulled(image: Pick<DockerImage, "id" | "repoTags" | "repoDigests">, signal: AbortSignal): Promise<void> {
    const held = this.current ? this.#snapshot?.byId(image.id) : undefined;
    if (held !== undefined && !this.#gone.has(image.id) && sameNames(held.inspect.repoTags, image.repoTags) && sameNames(held.inspect.repoDigests, image.repoDigests)) {
      this.#disk.markChanged();
      this.#request(false);
      return;
    }
    // Pulled again after a removal of ours: it is back, whatever the read in flight says.
    this.#gone.delete(image.id);
    await this.changed(signal);
  }

  /** `snap` without the images our removals deleted that no read has shown gone yet. */
  #visible(snap: ImageSnapshot): ImageSnapshot {
    for (const [id, seq] of this.#gone) if (this.#images.covers(seq)) this.#gone.delete(id);
    if (this.#gone.size === 0) return snap;
    const gone = [...this.#gone.keys()].sort().join(",");
    if (this.#view?.from !== snap || this.#view.gone !== gone) this.#view = { from: snap, gone, snapshot: snap.without(this.#gone) };
    return this.#view.snapshot;
  }

  diskUsage(signal: AbortSignal): Promise<DiskUsageReading> {
    this.start();
    return this.#disk.get(this.#streaming, signal);
  }

  /**
   * Asks for a read. A blocking one (an event, a write of ours, the resync, a snapshot past its
   * maximum age) is waited for by every answer after it; a background one is not.
   */
  #request(blocking: boolean): number {
    const seq = this.#images.request();
    if (blocking) this.#mustWait = seq;
    return seq;
  }

  /** Read through a method: the stream can go down while a call awaits. */
  #up(): boolean {
    return this.#streaming;
  }

  #stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  #onEvent(ev: ImageEngineEvent): void {
    this.#disk.markChanged();
    if (ev.type === "container" && ev.action !== "commit") return;
    if (ev.id.startsWith("sha256:")) this.#reinspect.add(ev.id);
    // Docker's report of a removal of ours, already left out of answers (removed): nothing to wait for.
    const ours = (ev.action === "delete" || ev.action === "untag") && this.#gone.has(ev.id);
    this.#request(!ours);
  }

  async #readImages(): Promise<void> {
    const reinspect = this.#reinspect;
    const inspectAll = this.#inspectAll;
    this.#reinspect = new Set();
    this.#inspectAll = false;
    try {
      this.#snapshot = await readSnapshot(this.#opts.images, inspectAll ? undefined : this.#snapshot, reinspect, this.#now(), this.#stop.signal);
      this.#readFailed = false;
    } catch (err) {
      for (const id of reinspect) this.#reinspect.add(id);
      this.#inspectAll ||= inspectAll;
      throw err;
    }
  }

  async #run(): Promise<void> {
    const min = this.#opts.reconnectMinMs ?? 100;
    const max = this.#opts.reconnectMaxMs ?? 1_000;
    let delay = min;
    while (!this.#stop.signal.aborted) {
      const streamAbort = new AbortController();
      const signal = AbortSignal.any([this.#stop.signal, streamAbort.signal]);
      try {
        const events = await this.#opts.openEvents(signal);
        this.#streaming = true;
        this.#inspectAll = true;
        delay = min;
        // Whatever happened while no stream was open is read now; calls wait for it.
        this.#disk.markChanged();
        const resync = this.#request(true);
        void this.#images.settled(resync, this.#stop.signal).then(
          (ok) => { if (ok) this.#opts.log.info({ images: this.#snapshot?.images.length ?? 0 }, "Image cache synced with Docker"); },
          () => undefined,
        );
        for await (const ev of events) this.#onEvent(ev);
        throw new CriError("Unavailable", "Docker closed its event stream");
      } catch (err) {
        this.#streaming = false;
        streamAbort.abort();
        if (this.#stopping()) break;
        this.#opts.log.warn({ err: toCriError(err, "Docker's image event stream failed"), retryInMs: delay }, "Lost Docker's image events; image reads go to Docker until they are back");
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, max);
      }
    }
  }
}

/** The same reads without memory: every call asks Docker (tests, and a docker-cri built without the cache). */
export function uncachedImageState(images: Pick<ImagesApi, "diskUsage">): ImageState {
  return {
    images: () => Promise.resolve(undefined),
    changed: () => Promise.resolve(),
    removed: () => undefined,
    pulled: () => Promise.resolve(),
    diskUsage: async (signal) => {
      const timestampMs = Date.now();
      return { usage: await images.diskUsage(signal), timestampMs };
    },
  };
}

/** The same names, in any order. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const held = new Set(a);
  return b.every((n) => held.has(n));
}
