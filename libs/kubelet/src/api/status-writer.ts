// Pod status to the API servers, as the kubelet's status manager writes it: only the latest
// status of each pod, only when it changed, as a strategic merge patch of status (so conditions
// other components own stay); retried with back-off while the API cannot be reached. When a pod
// the API is deleting has stopped, its object is removed (grace 0, on its uid).
import { isApiError } from '@flotilla/api';
import type { ResourceOps } from '@flotilla/client';
import type { Pod, PodStatus } from '../pod/types';
import type { Clock, Timer } from '../util/clock';
import type { Logger } from '../util/logger';

export type PodsIn = (namespace: string) => ResourceOps<Pod>;

interface Pending {
  pod: Pod;
  status: PodStatus;
  /** Delete the pod object once the status is written. */
  remove: boolean;
  tries: number;
}

/** Pods of a static manifest have no object in the API (mirror pods are later work). */
export function isStaticPod(pod: Pod): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.source'] === 'file';
}

export class PodStatusWriter {
  private readonly pending = new Map<string, Pending>();
  private readonly written = new Map<string, string>();
  private readonly timers = new Map<string, Timer>();
  private readonly inFlight = new Set<string>();
  private stopped = false;

  constructor(
    private readonly pods: PodsIn,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  onStatus(pod: Pod, status: PodStatus): void {
    if (isStaticPod(pod)) return;
    const uid = pod.metadata.uid;
    const previous = this.pending.get(uid);
    this.pending.set(uid, { pod, status, remove: previous?.remove ?? false, tries: 0 });
    this.kick(uid, 0);
  }

  onTerminated(pod: Pod, status: PodStatus): void {
    if (isStaticPod(pod)) return;
    const uid = pod.metadata.uid;
    this.pending.set(uid, {
      pod,
      status,
      remove: Boolean(pod.metadata.deletionTimestamp),
      tries: 0,
    });
    this.kick(uid, 0);
  }

  /** Resolves once nothing is waiting to be written (tests). */
  async idle(): Promise<void> {
    for (
      let i = 0;
      i < 200 &&
      (this.inFlight.size > 0 || [...this.pending.keys()].some((k) => !this.timers.has(k)));
      i++
    ) {
      await new Promise((r) => setImmediate(r));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
  }

  private kick(uid: string, delayMs: number): void {
    if (this.stopped || this.inFlight.has(uid)) return;
    this.timers.get(uid)?.cancel();
    if (delayMs <= 0) {
      this.timers.delete(uid);
      setImmediate(() => void this.write(uid));
      return;
    }
    this.timers.set(
      uid,
      this.clock.after(delayMs, () => {
        this.timers.delete(uid);
        void this.write(uid);
      }),
    );
  }

  private async write(uid: string): Promise<void> {
    const job = this.pending.get(uid);
    if (!job || this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    const { pod, status } = job;
    const pods = this.pods(pod.metadata.namespace);
    try {
      const text = JSON.stringify(status);
      if (this.written.get(uid) !== text) {
        await pods.patchStatus(pod.metadata.name, { metadata: { uid }, status }, 'strategic');
        this.written.set(uid, text);
      }
      if (job.remove) {
        await pods.delete(pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid } });
        this.written.delete(uid);
      }
      if (this.pending.get(uid) === job) this.pending.delete(uid);
    } catch (err) {
      if (isApiError(err) && (err.status.code === 404 || err.status.code === 409)) {
        // The pod is gone, or another pod took its name: nothing of ours to write.
        if (this.pending.get(uid) === job) this.pending.delete(uid);
        this.written.delete(uid);
      } else {
        job.tries++;
        const delay = Math.min(10_000, 500 * 2 ** Math.min(job.tries, 5));
        this.logger.warn('pod status not written', {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          err: (err as Error).message,
          retryInMs: delay,
        });
        this.inFlight.delete(uid);
        this.kick(uid, delay);
        return;
      }
    }
    this.inFlight.delete(uid);
    // A newer status arrived while this one was on its way.
    if (this.pending.has(uid)) this.kick(uid, 0);
  }
}
