// Taint-based eviction (Kubernetes' taint-eviction-controller, which kube-controller-manager ran
// inside the node lifecycle controller for years): a pod on a node with NoExecute taints it does
// not tolerate is deleted at once; one that tolerates them for tolerationSeconds is deleted when
// that time has passed since the taint was seen; removing the taint cancels the deletion.
import { isApiError } from '@flotilla/api';
import {
  objectKey,
  sleep,
  type Clock,
  type EventRecorder,
  type Node,
  type Pod,
  type ResourceOps,
  type TimerHandle,
} from '@flotilla/client';
import type { ControllerLog } from '../controller';
import { timestamp } from './node-health';
import { matchingTolerations, minTolerationMs, noExecuteTaints, type Taint } from './taints';

export interface TaintEvictionDeps {
  clock: Clock;
  pods: (namespace: string) => ResourceOps<Pod>;
  /** Pods bound to a node, from the informer's index. */
  podsOnNode: (nodeName: string) => Pod[];
  pod: (key: string) => Pod | undefined;
  node: (name: string) => Node | undefined;
  recorder: EventRecorder;
  log: Pick<ControllerLog, 'info' | 'warn'>;
  /** Counts a pod deleted by taint. */
  onDeleted?: () => void;
}

interface Scheduled {
  /** When the clock started for this pod (kept when the deadline is recomputed). */
  createdAt: number;
  fireAt: number;
  timer: TimerHandle;
  uid: string | undefined;
}

const DELETE_ATTEMPTS = 5;

export class TaintEviction {
  private readonly scheduled = new Map<string, Scheduled>();
  /** The NoExecute taints last seen per node, to skip node updates that did not change them. */
  private readonly nodeTaints = new Map<string, string>();
  private stopped = false;

  constructor(private readonly d: TaintEvictionDeps) {}

  /** How many pods have a deletion scheduled. */
  get pending(): number {
    return this.scheduled.size;
  }

  scheduledAt(podKey: string): number | undefined {
    return this.scheduled.get(podKey)?.fireAt;
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.scheduled.values()) this.d.clock.clearTimeout(s.timer);
    this.scheduled.clear();
  }

  nodeChanged(node: Node): void {
    const name = node.metadata.name!;
    const taints = noExecuteTaints(node.spec?.taints);
    const fingerprint = JSON.stringify(taints.map((t) => [t.key, t.value, t.effect]).sort());
    if (this.nodeTaints.get(name) === fingerprint) return;
    this.nodeTaints.set(name, fingerprint);
    const now = this.d.clock.now();
    for (const pod of this.d.podsOnNode(name)) this.processPod(pod, taints, now);
  }

  nodeDeleted(name: string): void {
    this.nodeTaints.delete(name);
    // The pods of a deleted node are the pod GC's; no eviction is pending for them any more.
    for (const pod of this.d.podsOnNode(name)) this.cancel(objectKey(pod), undefined);
  }

  podChanged(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const node = this.d.node(nodeName);
    if (!node) return;
    this.processPod(pod, noExecuteTaints(node.spec?.taints), this.d.clock.now());
  }

  podDeleted(key: string): void {
    this.cancel(key, undefined);
  }

  private processPod(pod: Pod, taints: Taint[], now: number): void {
    const key = objectKey(pod);
    if (pod.metadata.deletionTimestamp) {
      this.cancel(key, undefined);
      return;
    }
    if (taints.length === 0) {
      this.cancel(key, pod);
      return;
    }
    const { all, used } = matchingTolerations(taints, pod.spec?.tolerations ?? []);
    if (!all) {
      // Not tolerated at all: now.
      this.cancel(key, undefined);
      this.schedule(key, pod, now, now);
      return;
    }
    const stay = minTolerationMs(used);
    if (stay < 0) {
      this.cancel(key, pod); // tolerated for ever
      return;
    }
    let start = now;
    const known = this.scheduled.get(key);
    if (known) {
      // The clock keeps running from when the pod was first found on a tainted node; only an
      // earlier deadline (a taint tolerated for less) replaces the one set.
      if (known.uid === pod.metadata.uid) {
        start = known.createdAt;
        if (start + stay >= known.fireAt) return;
      }
      this.cancel(key, undefined);
    }
    this.schedule(key, pod, start, start + stay);
  }

  private schedule(key: string, pod: Pod, createdAt: number, fireAt: number): void {
    if (this.stopped) return;
    const timer = this.d.clock.setTimeout(() => void this.fire(key), fireAt - this.d.clock.now());
    this.scheduled.set(key, { createdAt, fireAt, timer, uid: pod.metadata.uid });
    if (fireAt > createdAt) {
      this.d.log.info('pod scheduled for eviction by taint', {
        pod: key,
        node: pod.spec?.nodeName,
        at: timestamp(fireAt),
      });
    }
  }

  private cancel(key: string, pod: Pod | undefined): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    this.d.clock.clearTimeout(s.timer);
    this.scheduled.delete(key);
    if (pod) {
      this.d.recorder.eventf(
        pod,
        undefined,
        'Normal',
        'TaintManagerEviction',
        'Cancel',
        'Cancelling deletion of Pod %s',
        key,
      );
    }
  }

  private async fire(key: string): Promise<void> {
    const s = this.scheduled.get(key);
    this.scheduled.delete(key);
    if (this.stopped || !s) return;
    const pod = this.d.pod(key);
    if (!pod || pod.metadata.uid !== s.uid || pod.metadata.deletionTimestamp) return;
    this.d.recorder.eventf(
      pod,
      undefined,
      'Normal',
      'TaintManagerEviction',
      'Delete',
      'Marking for deletion Pod %s',
      key,
    );
    const pods = this.d.pods(pod.metadata.namespace!);
    for (let attempt = 0; attempt < DELETE_ATTEMPTS && !this.stopped; attempt++) {
      try {
        await pods.patchStatus(
          pod.metadata.name!,
          {
            status: {
              conditions: [
                {
                  type: 'DisruptionTarget',
                  status: 'True',
                  reason: 'DeletionByTaintManager',
                  message: 'Taint manager: deleting due to NoExecute taint',
                  lastTransitionTime: timestamp(this.d.clock.now()),
                },
              ],
            },
          },
          'strategic',
        );
        await pods.delete(pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        this.d.onDeleted?.();
        return;
      } catch (err) {
        if (isApiError(err) && (err.status.code === 404 || err.status.code === 409)) return;
        this.d.log.warn('evicting a pod failed; trying again', { pod: key, err: String(err) });
        await sleep(this.d.clock, 10 * 2 ** attempt);
      }
    }
  }
}
