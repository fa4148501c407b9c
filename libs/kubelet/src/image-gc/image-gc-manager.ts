// The kubelet's image garbage collector. It keeps its own record of every image the runtime holds:
// when it first saw it and when it last saw a container (of any state) use it. Every period (and
// once at start) it removes images unused for longer than the maximum age, then, when the image
// filesystem is at or above the high threshold, removes unused images least recently used first
// until the low threshold is reached. Never removed: images a container uses, the sandbox image,
// images the runtime pins, and (for space) images detected less than the minimum age ago, which
// may have just been pulled for a container about to start.
import type { ContainerRuntime } from '../runtime/runtime';
import { normaliseImageName } from '../runtime/image-names';
import type { NodeEventRecorder } from '../node/node-events';
import type { Clock, Timer } from '../util/clock';
import type { Logger } from '../util/logger';
import { readImageFsStats, type ImageFsStats } from './image-fs-stats';
import type { ImageGcMetrics, ImageGcReason } from './image-gc-metrics';
import { imageGcDisabled, imageGcPolicyProblems, type ImageGcPolicy } from './image-gc-policy';

export interface ImageGcOptions {
  runtime: ContainerRuntime;
  policy: ImageGcPolicy;
  clock: Clock;
  logger: Logger;
  events: NodeEventRecorder;
  /** The pod sandbox (pause) image: always kept, used or not, as is the one the runtime names. */
  sandboxImage?: string;
  /** How full the image filesystem is; CRI ImageFsInfo plus statfs by default. */
  fsStats?: () => Promise<ImageFsStats>;
  metrics?: ImageGcMetrics;
}

/** What the collector knows of one image. */
export interface ImageRecord {
  id: string;
  /** A name for logs: its first tag, or its id. */
  name: string;
  size: number;
  pinned: boolean;
  firstDetected: number;
  /** When a container was last seen using it; 0: never. */
  lastUsed: number;
}

export interface RemovedImage {
  id: string;
  name: string;
  size: number;
  reason: ImageGcReason;
}

export interface ImageGcResult {
  /** Percent of the image filesystem in use when the pass measured it. */
  usagePercent: number;
  /** What the pass had to free to reach the low threshold; 0 below the high threshold. */
  wantedBytes: number;
  freedBytes: number;
  removed: RemovedImage[];
}

/** The ordering key: when it was last used, or first detected for an image never seen in use. */
function lastActive(r: ImageRecord): number {
  return r.lastUsed > 0 ? r.lastUsed : r.firstDetected;
}

/** The names a container's image may go by (as given, normalised, or an image id). */
function refsOf(image: string): string[] {
  if (!image) return [];
  if (image.startsWith('sha256:')) return [image];
  return [image, normaliseImageName(image)];
}

export class ImageGcManager {
  private readonly records = new Map<string, ImageRecord>();
  private readonly fsStats: () => Promise<ImageFsStats>;
  private timer?: Timer;
  private started = false;
  private running?: Promise<ImageGcResult>;
  private previousFailed = false;

  constructor(private readonly o: ImageGcOptions) {
    const problems = imageGcPolicyProblems(o.policy);
    if (problems.length > 0) throw new Error(`image garbage collection: ${problems.join('; ')}`);
    this.fsStats = o.fsStats ?? (() => readImageFsStats(o.runtime));
  }

  get disabled(): boolean {
    return imageGcDisabled(this.o.policy);
  }

  /** Runs a pass now and then every period; nothing with a high threshold of 100. */
  start(): void {
    if (this.disabled) {
      this.o.logger.info('image garbage collection disabled (--image-gc-high-threshold=100)');
      return;
    }
    if (this.started) return;
    this.started = true;
    void this.periodic();
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
  }

  /** What the collector knows of the images, least recently used first. */
  images(): ImageRecord[] {
    return [...this.records.values()].map((r) => ({ ...r })).sort(byLeastRecentlyUsed);
  }

  private async periodic(): Promise<void> {
    await this.collectAndReport();
    if (this.started)
      this.timer = this.o.clock.after(this.o.policy.periodMs, () => this.periodic());
  }

  /**
   * One pass as the periodic loop runs it: a failure is logged, and a repeated one also becomes
   * an ImageGCFailed event on the Node (the first may only mean the runtime is still starting).
   */
  async collectAndReport(): Promise<ImageGcResult | undefined> {
    const { logger, events } = this.o;
    try {
      const result = await this.garbageCollect();
      if (this.previousFailed) logger.info('image garbage collection succeeded');
      this.previousFailed = false;
      return result;
    } catch (err) {
      const message = (err as Error).message;
      if (this.previousFailed) {
        logger.error('image garbage collection failed multiple times in a row', { err: message });
        events.record({ type: 'Warning', reason: 'ImageGCFailed', message });
      } else {
        logger.error('image garbage collection failed once', { err: message });
      }
      this.previousFailed = true;
      return undefined;
    }
  }

  /**
   * One pass: images past the maximum age, then space. Throws when an image could not be removed
   * or when not enough could be freed (after a FreeDiskSpaceFailed event). One pass at a time: a
   * call during a pass gets that pass's result.
   */
  garbageCollect(): Promise<ImageGcResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ImageGcResult> {
    const now = this.o.clock.now();
    const removed: RemovedImage[] = [];
    const candidates = await this.evictionOrder(now);
    const remaining = await this.freeOldImages(candidates, now, removed);

    const fs = await this.fsStats();
    const capacity = fs.capacityBytes;
    const available = Math.min(fs.availableBytes, capacity);
    if (!(capacity > 0)) {
      const message = `invalid capacity ${capacity} on image filesystem`;
      this.o.events.record({ type: 'Warning', reason: 'InvalidDiskCapacity', message });
      throw new Error(message);
    }
    // Whole percents rounded as the kubelet does (integer division of the free share).
    const usagePercent =
      100 - Number((BigInt(Math.floor(available)) * 100n) / BigInt(Math.floor(capacity)));
    const result: ImageGcResult = { usagePercent, wantedBytes: 0, freedBytes: 0, removed };
    const { highThresholdPercent: high, lowThresholdPercent: low } = this.o.policy;
    if (usagePercent < high) return result;

    const wanted =
      Number((BigInt(Math.floor(capacity)) * BigInt(100 - low)) / 100n) - Math.floor(available);
    result.wantedBytes = wanted;
    if (wanted <= 0) return result;
    this.o.logger.info(
      'disk usage on image filesystem is over the high threshold, freeing down to the low threshold',
      { usage: usagePercent, highThreshold: high, lowThreshold: low, bytesToFree: wanted },
    );
    result.freedBytes = await this.freeSpace(remaining, wanted, now, removed);
    if (result.freedBytes < wanted) {
      const message =
        `Failed to garbage collect required amount of images. Attempted to free ${wanted} bytes, ` +
        `but only found ${result.freedBytes} bytes eligible to free.`;
      this.o.events.record({ type: 'Warning', reason: 'FreeDiskSpaceFailed', message });
      throw new Error(message);
    }
    return result;
  }

  /** Removes images unused for longer than the maximum age; hands back the others. */
  private async freeOldImages(
    candidates: ImageRecord[],
    now: number,
    removed: RemovedImage[],
  ): Promise<ImageRecord[]> {
    const maxAge = this.o.policy.maxAgeMs;
    if (maxAge <= 0) return candidates;
    const remaining: ImageRecord[] = [];
    const failures: string[] = [];
    for (const image of candidates) {
      if (now - lastActive(image) <= maxAge) {
        remaining.push(image);
        continue;
      }
      try {
        removed.push(await this.remove(image, 'age'));
      } catch (err) {
        failures.push((err as Error).message);
        remaining.push(image);
      }
    }
    if (failures.length > 0) throw new Error(`failed to remove images: ${failures.join('; ')}`);
    return remaining;
  }

  /** Removes images in order, old enough ones only, until wanted bytes are freed. */
  private async freeSpace(
    candidates: ImageRecord[],
    wanted: number,
    now: number,
    removed: RemovedImage[],
  ): Promise<number> {
    let freed = 0;
    const failures: string[] = [];
    for (const image of candidates) {
      if (now - image.firstDetected < this.o.policy.minAgeMs) continue;
      try {
        removed.push(await this.remove(image, 'space'));
      } catch (err) {
        failures.push((err as Error).message);
        continue;
      }
      freed += image.size;
      if (freed >= wanted) break;
    }
    if (failures.length > 0) {
      throw new Error(
        `wanted to free ${wanted} bytes, but freed ${freed} bytes with errors removing images: ${failures.join('; ')}`,
      );
    }
    return freed;
  }

  private async remove(image: ImageRecord, reason: ImageGcReason): Promise<RemovedImage> {
    this.o.logger.info('removing image', {
      image: image.name,
      imageID: image.id,
      size: image.size,
      reason,
    });
    await this.o.runtime.removeImage(image.id);
    this.records.delete(image.id);
    this.o.metrics?.collected.inc({ reason });
    return { id: image.id, name: image.name, size: image.size, reason };
  }

  /**
   * Brings the records up to date with the runtime and returns the images that may go, least
   * recently used first: not used by any container, not the sandbox image, not pinned.
   */
  private async evictionOrder(now: number): Promise<ImageRecord[]> {
    const inUse = await this.detectImages(now);
    return this.images().filter((r) => !inUse.has(r.id) && !r.pinned);
  }

  /** Updates the records (new images, sizes, last use; gone ones dropped); the ids in use. */
  private async detectImages(now: number): Promise<Set<string>> {
    const { runtime, sandboxImage } = this.o;
    const [images, containers, runtimeSandboxImage] = await Promise.all([
      runtime.listImages(),
      runtime.listContainers(),
      runtime.sandboxImage?.().catch(() => undefined),
    ]);
    const usedRefs = new Set<string>();
    for (const c of containers) {
      for (const ref of [...refsOf(c.imageRef), ...refsOf(c.image)]) usedRefs.add(ref);
    }
    // The configured sandbox image and the one the runtime says it uses, should they differ.
    for (const name of new Set([sandboxImage, runtimeSandboxImage])) {
      if (!name) continue;
      for (const ref of refsOf(name)) usedRefs.add(ref);
      const sandbox = await runtime.imageStatus(name).catch(() => undefined);
      if (sandbox) usedRefs.add(sandbox.id);
    }
    const inUse = new Set<string>();
    const present = new Set<string>();
    for (const image of images) {
      present.add(image.id);
      let record = this.records.get(image.id);
      if (!record) {
        record = {
          id: image.id,
          name: '',
          size: 0,
          pinned: false,
          firstDetected: now,
          lastUsed: 0,
        };
        this.records.set(image.id, record);
      }
      record.name = image.repoTags[0] ?? image.repoDigests[0] ?? image.id;
      record.size = image.size;
      record.pinned = image.pinned;
      if ([image.id, ...image.repoTags, ...image.repoDigests].some((r) => usedRefs.has(r))) {
        record.lastUsed = now;
        inUse.add(image.id);
      }
    }
    for (const id of [...this.records.keys()]) if (!present.has(id)) this.records.delete(id);
    return inUse;
  }
}

function byLeastRecentlyUsed(a: ImageRecord, b: ImageRecord): number {
  return lastActive(a) - lastActive(b) || a.firstDetected - b.firstDetected;
}
