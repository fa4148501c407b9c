// What a hollow node's kubelet does for the pods bound to it. The built-in player starts a pod
// in one status write (Running, a pod IP from the node's podCIDR, Ready) and finishes a deletion
// at once; libs/kubelet's pod workers over its fake runtime can take its place behind the same
// two calls.
import { isApiError } from '@flotilla/api';
import type { KubeClient, Pod } from '@flotilla/client';
import type { Limiter } from './limiter';
import type { PodIpPool } from './pod-cidr';

export interface HollowNode {
  name: string;
  ip: string;
  pool: PodIpPool;
  /** The node's own client (system:node:<name>); the fleet's when it has none. */
  client?: KubeClient;
}

export interface HollowPodPlayer {
  /** A pod bound to `node` was listed or changed. */
  sync(pod: Pod, node: HollowNode): void;
  /** The pod is gone from the API. */
  forget(pod: Pod, node: HollowNode): void;
}

type Phase = 'starting' | 'running' | 'terminating';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class BuiltInPodPlayer implements HollowPodPlayer {
  private readonly pods = new Map<string, { phase: Phase; ip?: string }>();
  /** Status writes done (for the command's progress line). */
  started = 0;
  onError: (what: string, err: unknown) => void = () => undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly limiter: Limiter,
    private readonly now: () => number = Date.now,
  ) {}

  sync(pod: Pod, node: HollowNode): void {
    const uid = pod.metadata.uid ?? '';
    const known = this.pods.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (known?.phase === 'terminating') return;
      this.pods.set(uid, { phase: 'terminating', ip: known?.ip ?? pod.status?.podIP });
      void this.limiter.run(() => this.finishDeletion(pod, node));
      return;
    }
    if (known) return;
    if (
      pod.status?.phase === 'Running' ||
      pod.status?.phase === 'Succeeded' ||
      pod.status?.phase === 'Failed'
    ) {
      // Started by an earlier run of this process: keep it as it is.
      this.pods.set(uid, { phase: 'running', ip: pod.status?.podIP });
      return;
    }
    const ip = node.pool.take();
    this.pods.set(uid, { phase: 'starting', ip });
    void this.limiter.run(() => this.start(pod, node, ip));
  }

  forget(pod: Pod, node: HollowNode): void {
    const uid = pod.metadata.uid ?? '';
    const known = this.pods.get(uid);
    if (known?.ip) node.pool.release(known.ip);
    this.pods.delete(uid);
  }

  private async start(pod: Pod, node: HollowNode, ip: string | undefined): Promise<void> {
    const now = rfc3339(this.now());
    const condition = (type: string) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const status = {
      phase: 'Running',
      hostIP: node.ip,
      hostIPs: [{ ip: node.ip }],
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      startTime: now,
      conditions: [condition('Initialized'), condition('ContainersReady'), condition('Ready')],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: `hollow://${c.image ?? ''}`,
        containerID: `hollow://${pod.metadata.uid ?? ''}/${c.name}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    try {
      await (node.client ?? this.client)
        .pods(pod.metadata.namespace)
        .patchStatus(
          pod.metadata.name ?? '',
          { metadata: { uid: pod.metadata.uid }, status },
          'strategic',
        );
      const s = this.pods.get(pod.metadata.uid ?? '');
      if (s?.phase === 'starting') s.phase = 'running';
      this.started++;
    } catch (err) {
      // Gone meanwhile: its delete event forgets it. Anything else: try again on its next event.
      if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
      if (ip) node.pool.release(ip);
      this.pods.delete(pod.metadata.uid ?? '');
      this.onError(`starting pod ${pod.metadata.namespace}/${pod.metadata.name}`, err);
    }
  }

  /** The containers "stop" at once; the pod object goes, as the kubelet's final delete does. */
  private async finishDeletion(pod: Pod, node: HollowNode): Promise<void> {
    try {
      await (node.client ?? this.client)
        .pods(pod.metadata.namespace)
        .delete(pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        });
    } catch (err) {
      if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
      this.onError(`deleting pod ${pod.metadata.namespace}/${pod.metadata.name}`, err);
    }
  }
}
