// Hollow kubelets whose batch pods finish. The built-in player keeps every pod Running, as
// kubemark's hollow nodes do; Jobs then never complete. This one starts pods through it, then
// ends each pod whose restartPolicy is not Always: Succeeded (exit 0), or Failed with exit 1 for
// the first N pods of a Job whose template carries FAIL_FIRST_ANNOTATION: "N". Pods that `hold`
// picks stay Pending until release(), so a test can stop a rollout half-way.
import { isApiError } from '@flotilla/api';
import type { KubeClient, Pod } from '@flotilla/client';
import { Limiter } from '../../../apps/flotilla/src/hollow-nodes/limiter';
import {
  BuiltInPodPlayer,
  type HollowNode,
  type HollowPodPlayer,
} from '../../../apps/flotilla/src/hollow-nodes/pod-player';

export const FAIL_FIRST_ANNOTATION = 'test.flotilla.dev/fail-first';
/** Container exit codes by container name, as a JSON object: {"c": 42}. Overrides fail-first. */
export const EXIT_CODES_ANNOTATION = 'test.flotilla.dev/exit-codes';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class BatchPodPlayer implements HollowPodPlayer {
  private readonly inner: BuiltInPodPlayer;
  private readonly finishing = new Set<string>();
  /** Pods failed so far per owning Job uid. */
  private readonly failedByOwner = new Map<string, number>();
  finished = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly limiter = new Limiter(16),
  ) {
    this.inner = new BuiltInPodPlayer(client, limiter);
  }

  /** Pods this holds Pending (not started) until release(). */
  hold: ((pod: Pod) => boolean) | undefined;
  private readonly held = new Map<string, { pod: Pod; node: HollowNode }>();

  /** Starts the held pods and holds no more. */
  release(): void {
    this.hold = undefined;
    const held = [...this.held.values()];
    this.held.clear();
    for (const { pod, node } of held) this.sync(pod, node);
  }

  sync(pod: Pod, node: HollowNode): void {
    if (
      this.hold?.(pod) &&
      !pod.metadata.deletionTimestamp &&
      !pod.status?.phase?.match(/^(Running|Succeeded|Failed)$/)
    ) {
      this.held.set(pod.metadata.uid ?? '', { pod, node });
      return;
    }
    this.held.delete(pod.metadata.uid ?? '');
    this.inner.sync(pod, node);
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp || this.finishing.has(uid)) return;
    if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return;
    if (pod.status?.phase !== 'Running') return;
    this.finishing.add(uid);
    void this.limiter.run(() => this.finish(pod));
  }

  forget(pod: Pod, node: HollowNode): void {
    this.held.delete(pod.metadata.uid ?? '');
    this.inner.forget(pod, node);
    this.finishing.delete(pod.metadata.uid ?? '');
  }

  private exitCodes(pod: Pod): Record<string, number> {
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const given = pod.metadata.annotations?.[EXIT_CODES_ANNOTATION];
    if (given) return JSON.parse(given) as Record<string, number>;
    const failFirst = Number(pod.metadata.annotations?.[FAIL_FIRST_ANNOTATION] ?? 0);
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller)?.uid ?? '';
    const failedSoFar = this.failedByOwner.get(owner) ?? 0;
    const fail = failedSoFar < failFirst;
    if (fail) this.failedByOwner.set(owner, failedSoFar + 1);
    return Object.fromEntries(names.map((n) => [n, fail ? 1 : 0]));
  }

  private async finish(pod: Pod): Promise<void> {
    const codes = this.exitCodes(pod);
    const failed = Object.values(codes).some((c) => c !== 0);
    const now = rfc3339(Date.now());
    const notReady = (type: string) => ({
      type,
      status: 'False',
      reason: 'PodCompleted',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const status = {
      phase: failed ? 'Failed' : 'Succeeded',
      conditions: [notReady('Ready'), notReady('ContainersReady')],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: `hollow://${c.image ?? ''}`,
        containerID: `hollow://${pod.metadata.uid ?? ''}/${c.name}`,
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          // A strategic merge keeps keys the patch leaves out: the running state goes explicitly.
          running: null,
          terminated: {
            exitCode: codes[c.name] ?? 0,
            reason: codes[c.name] ? 'Error' : 'Completed',
            startedAt: pod.status?.startTime ?? now,
            finishedAt: now,
          },
        },
      })),
    };
    try {
      await this.client
        .pods(pod.metadata.namespace)
        .patchStatus(
          pod.metadata.name ?? '',
          { metadata: { uid: pod.metadata.uid }, status },
          'strategic',
        );
      this.finished++;
    } catch (err) {
      // Gone meanwhile: nothing to finish. Otherwise its next event tries again.
      if (!(isApiError(err) && (err.code === 404 || err.code === 409)))
        this.finishing.delete(pod.metadata.uid ?? '');
    }
  }
}
