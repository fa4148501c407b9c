// The disruption controller (kube's pkg/controller/disruption): keeps each PodDisruptionBudget's
// status current — expected pods (from the scale of the pods' controllers when the budget is a
// percentage or maxUnavailable), desired and current healthy pods, and disruptionsAllowed, which
// the pods/eviction subresource spends. Pods an eviction just disrupted count as unhealthy until
// they are gone (or two minutes have passed, as in Kubernetes).
import {
  cloneJson,
  isApiError,
  jsonEqual,
  labelSelectorFromObject,
  matchesLabels,
  type KubeObject,
  type LabelSelector,
} from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type Pod,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { controllerRefOf } from '../common/controller-ref';
import { isPodReady } from '../common/pods';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { PDBS, PODS } from '../common/resources';
import { integerFlag, readIntegerFlag } from '../flags';

export const DISRUPTION_CONTROLLER = 'controllermanager';
/** How long an evicted pod may take to go before it counts again (kube's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const CONCURRENT_DISRUPTION_SYNCS = integerFlag(
  'concurrent-disruption-syncs',
  5,
  'PodDisruptionBudgets synced at once by the disruption controller',
);

type IntOrString = number | string;
type Budget = KubeObject & {
  spec?: {
    minAvailable?: IntOrString;
    maxUnavailable?: IntOrString;
    selector?: Parameters<typeof labelSelectorFromObject>[0];
  };
  status?: Record<string, unknown> & {
    disruptedPods?: Record<string, string>;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
      observedGeneration?: number;
    }[];
  };
};

function percentOf(value: IntOrString | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+)%$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private pods!: SharedInformer<Pod>;
  private budgets!: SharedInformer<Budget>;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'disruption');
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.budgets = ctx.informers.informerFor<Budget>(PDBS);
    const podChanged = (pod: Pod) => {
      for (const pdb of this.budgets.lister.listInNamespace(pod.metadata.namespace ?? '')) {
        const sel = selectorOf(pdb);
        if (sel && matchesLabels(sel, pod.metadata.labels)) this.queue.add(objectKey(pdb));
      }
    };
    const handlers = [
      this.budgets.addEventHandler({
        onAdd: (b) => this.queue.add(objectKey(b)),
        onUpdate: (_o, b) => this.queue.add(objectKey(b)),
      }),
      this.pods.addEventHandler({
        onAdd: podChanged,
        onUpdate: (old, cur) => {
          podChanged(cur);
          if (!jsonEqual(old.metadata.labels, cur.metadata.labels)) podChanged(old);
        },
        onDelete: (d) => podChanged(finalStateOf(d)),
      }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.pods, this.budgets] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_DISRUPTION_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private async sync(key: string): Promise<void> {
    const cached = this.budgets.lister.getByKey(key);
    if (!cached) return;
    const pdb = cloneJson(cached);
    const now = this.ctx.clock.now();
    const sel = selectorOf(pdb);
    const pods = sel
      ? this.pods.lister
          .listInNamespace(pdb.metadata.namespace ?? '')
          .filter((p) => matchesLabels(sel, p.metadata.labels))
      : [];
    const byName = new Map(pods.map((p) => [p.metadata.name!, p]));

    // Disruptions recorded by evictions, until the pod is gone or the timeout passes.
    const disrupted: Record<string, string> = {};
    let nextExpiry = Infinity;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = byName.get(name);
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!pod || pod.metadata.deletionTimestamp || expires <= now) continue;
      disrupted[name] = at;
      nextExpiry = Math.min(nextExpiry, expires);
    }
    const counts = await this.expectedAndDesired(pdb, pods);
    const currentHealthy = pods.filter(
      (p) => !p.metadata.deletionTimestamp && isPodReady(p) && !disrupted[p.metadata.name!],
    ).length;
    const allowed = counts ? Math.max(0, currentHealthy - counts.desired) : 0;
    const status: NonNullable<Budget['status']> = {
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy,
      desiredHealthy: counts?.desired ?? 0,
      expectedPods: counts?.expected ?? 0,
      observedGeneration: pdb.metadata.generation,
      conditions: [this.condition(pdb, allowed > 0)],
    };
    if (nextExpiry !== Infinity) this.queue.addAfter(key, nextExpiry - now + 100);
    if (jsonEqual(status, pdb.status ?? {})) return;
    const client = this.ctx.client.forKind<Budget>(
      'policy/v1',
      'PodDisruptionBudget',
      pdb.metadata.namespace,
    );
    try {
      await client.updateStatus({
        ...pdb,
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        status,
      });
    } catch (err) {
      if (isApiError(err) && err.code === 404) return;
      throw err;
    }
  }

  private condition(pdb: Budget, allowed: boolean) {
    const previous = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    const status = allowed ? 'True' : 'False';
    const lastTransitionTime =
      previous?.status === status && previous.lastTransitionTime
        ? previous.lastTransitionTime
        : new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      type: 'DisruptionAllowed',
      status,
      reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      lastTransitionTime,
      observedGeneration: pdb.metadata.generation,
    };
  }

  /** Expected pods and how many must stay healthy; undefined when the pods' scale is unknown. */
  private async expectedAndDesired(
    pdb: Budget,
    pods: Pod[],
  ): Promise<{ expected: number; desired: number } | undefined> {
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if (typeof minAvailable === 'number') return { expected: pods.length, desired: minAvailable };
    const expected = await this.expectedFromControllers(pods);
    if (expected === undefined) return undefined;
    const minPct = percentOf(minAvailable);
    if (minPct !== undefined) return { expected, desired: Math.ceil((minPct * expected) / 100) };
    if (maxUnavailable !== undefined) {
      const pct = percentOf(maxUnavailable);
      const unavailable =
        pct !== undefined ? Math.ceil((pct * expected) / 100) : Number(maxUnavailable);
      return { expected, desired: Math.max(0, expected - unavailable) };
    }
    return { expected, desired: expected };
  }

  /** The replicas the pods' controllers want (a ReplicaSet's Deployment's when it has one). */
  private async expectedFromControllers(pods: Pod[]): Promise<number | undefined> {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      let ref = controllerRefOf(pod);
      if (!ref) return undefined;
      let owner = await this.read(ref.apiVersion, ref.kind, pod.metadata.namespace, ref.name);
      if (ref.kind === 'ReplicaSet' && owner) {
        const top = controllerRefOf(owner);
        if (top?.kind === 'Deployment') {
          const dep = await this.read(top.apiVersion, top.kind, pod.metadata.namespace, top.name);
          if (dep) {
            ref = top;
            owner = dep;
          }
        }
      }
      const replicas = (owner?.spec as { replicas?: number } | undefined)?.replicas;
      if (typeof replicas !== 'number') return undefined;
      scales.set(ref.uid, replicas);
    }
    return [...scales.values()].reduce((a, b) => a + b, 0);
  }

  private async read(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ) {
    try {
      return await this.ctx.client.forKind(apiVersion, kind, namespace).get(name);
    } catch (err) {
      if (isApiError(err) && err.code === 404) return undefined;
      if (err instanceof Error && /serves no kind/.test(err.message)) return undefined;
      throw err;
    }
  }
}

function selectorOf(pdb: Budget): LabelSelector | undefined {
  if (!pdb.spec?.selector) return undefined;
  try {
    return labelSelectorFromObject(pdb.spec.selector);
  } catch {
    return undefined;
  }
}

export const disruptionControllerFactory: ControllerFactory = {
  name: 'disruption',
  enabledByDefault: true,
  flags: [CONCURRENT_DISRUPTION_SYNCS],
  create: () => new DisruptionController(),
};
