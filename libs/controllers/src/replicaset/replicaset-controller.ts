// The ReplicaSet controller (kube's pkg/controller/replicaset): keeps as many active pods as a
// ReplicaSet asks for. Expectations make it wait until its informer has seen the pods it created
// or deleted before it counts again; creations go out in slow-start batches, at most 500 per
// sync; surplus pods go in the deletion ranking's order; pods that match its selector without a
// controller are adopted, and pods it controls that stop matching are released.
import { cloneJson, isApiError, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type Pod,
  type ReplicaSet,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { claimOwned, controllerRefOf, ownerRefTo } from '../common/controller-ref';
import { ownedObjectHandlers } from '../common/owner-routing';
import { Expectations } from '../common/expectations';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { isPodActive, isPodReady } from '../common/pods';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { selectorOf } from '../common/selectors';
import { slowStartBatch } from '../common/slow-start';
import { integerFlag, readIntegerFlag } from '../flags';
import { PODS, REPLICASETS } from '../common/resources';
import { podsToDelete } from './deletion-ranking';
import { calculateStatus, statusChanged } from './replicaset-status';

export const REPLICASET_CONTROLLER = 'replicaset-controller';

/** At most this many creations or deletions per sync (kube's BurstReplicas). */
export const BURST_REPLICAS = 500;
const SLOW_START_INITIAL_BATCH = 1;

export const CONCURRENT_REPLICASET_SYNCS = integerFlag(
  'concurrent-replicaset-syncs',
  5,
  'ReplicaSets synced at once by the replicaset controller',
);

export interface ReplicaSetControllerOptions {
  /** Off only to show, in a test, what expectations prevent. */
  expectations?: boolean;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private pods!: SharedInformer<Pod>;
  private sets!: SharedInformer<ReplicaSet>;
  private expectations!: Expectations;

  constructor(private readonly opts: ReplicaSetControllerOptions = {}) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.queue = controllerQueue(ctx, 'replicaset');
    this.pods = ctx.informers.informerFor<Pod>(PODS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    this.sets = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
    const handlers = [
      this.sets.addEventHandler({
        onAdd: (rs) => this.enqueue(rs),
        onUpdate: (_old, rs) => this.enqueue(rs),
        onDelete: (d) => {
          const rs = finalStateOf(d);
          this.expectations.forget(objectKey(rs));
          this.enqueue(rs);
        },
      }),
      this.pods.addEventHandler(
        ownedObjectHandlers<ReplicaSet, Pod>({
          ownerKind: 'ReplicaSet',
          owners: this.sets.lister,
          enqueue: (rs) => this.enqueue(rs),
          selectorOf: (rs) => selectorOf(rs.spec),
          expectations: this.expectations,
          onOwnedUpdate: (old, cur, rs) => {
            // Available minReadySeconds after Ready: look again then.
            const minReady = rs.spec?.minReadySeconds ?? 0;
            if (!isPodReady(old) && isPodReady(cur) && minReady > 0)
              this.queue.addAfter(objectKey(rs), minReady * 1000 + 1000);
          },
        }),
      ),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.pods, this.sets] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_REPLICASET_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  // ---- event handlers ------------------------------------------------------------------------

  private enqueue(rs: ReplicaSet): void {
    this.queue.add(objectKey(rs));
  }

  // ---- sync ----------------------------------------------------------------------------------

  private async sync(key: string): Promise<void> {
    const rs = this.sets.lister.getByKey(key);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const needsSync = this.opts.expectations === false || this.expectations.satisfied(key);
    const selector = selectorOf(rs.spec);
    if (!selector) {
      this.ctx.log.warn('invalid selector; not syncing', { replicaset: key });
      return;
    }
    const pods = await claimOwned<Pod>(this.ctx.client, this.pods.lister, {
      owner: rs,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'ReplicaSet',
      selector,
      ops: (ns) => this.ctx.client.pods(ns),
      consider: isPodActive,
    });
    let manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined;
    let thrown: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        thrown = err;
        const diff = pods.length - (rs.spec?.replicas ?? 1);
        manageError = {
          reason: diff < 0 ? 'FailedCreate' : 'FailedDelete',
          message: err instanceof Error ? err.message : String(err),
        };
      }
    }
    const updated = await this.updateStatus(rs, pods, manageError);
    const want = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (
      !thrown &&
      minReady > 0 &&
      (updated.status?.readyReplicas ?? 0) === want &&
      (updated.status?.availableReplicas ?? 0) !== want
    ) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (thrown) throw thrown;
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    const recorder = this.ctx.recorder(REPLICASET_CONTROLLER);
    const rsRef = withKind(rs);
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const body = podFromTemplate(rs);
      const pods = this.ctx.client.pods(rs.metadata.namespace);
      const { successes, error } = await slowStartBatch(n, SLOW_START_INITIAL_BATCH, async () => {
        try {
          const created = await pods.create(cloneJson(body));
          recorder.eventf(
            rsRef,
            undefined,
            'Normal',
            'SuccessfulCreate',
            'Create',
            'Created pod: %s',
            created.metadata.name,
          );
        } catch (err) {
          // A namespace being deleted refuses new pods; the namespace controller is emptying it.
          if (namespaceTerminating(err)) return;
          recorder.eventf(
            rsRef,
            undefined,
            'Warning',
            'FailedCreate',
            'Create',
            'Error creating: %s',
            messageOf(err),
          );
          throw err;
        }
      });
      for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const doomed = podsToDelete(pods, this.relatedPods(rs), n, this.ctx.clock.now());
      this.expectations.expectDeletions(
        key,
        doomed.map((p) => objectKey(p)),
      );
      const errors: unknown[] = [];
      await Promise.all(
        doomed.map(async (pod) => {
          try {
            await this.ctx.client
              .pods(pod.metadata.namespace)
              .delete(pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
            recorder.eventf(
              rsRef,
              undefined,
              'Normal',
              'SuccessfulDelete',
              'Delete',
              'Deleted pod: %s',
              pod.metadata.name,
            );
          } catch (err) {
            this.expectations.deletionObserved(key, objectKey(pod));
            if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
            recorder.eventf(
              rsRef,
              undefined,
              'Warning',
              'FailedDelete',
              'Delete',
              'Error deleting: %s',
              messageOf(err),
            );
            errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
    }
  }

  /** The active pods of every ReplicaSet with the same controller as `rs` (its Deployment). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerRefOf(rs);
    const sets = owner
      ? this.sets.lister
          .listInNamespace(rs.metadata.namespace ?? '')
          .filter((s) => controllerRefOf(s)?.uid === owner.uid)
      : [rs];
    return sets.flatMap((s) =>
      this.pods.lister.byIndex(CONTROLLER_UID_INDEX, s.metadata.uid ?? '').filter(isPodActive),
    );
  }

  private async updateStatus(
    rs: ReplicaSet,
    pods: Pod[],
    manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined,
  ): Promise<ReplicaSet> {
    const status = calculateStatus(rs, pods, manageError, this.ctx.clock.now());
    if (!statusChanged(rs, status)) return rs;
    const sets = this.ctx.client.replicaSets(rs.metadata.namespace);
    let current: ReplicaSet = rs;
    for (let attempt = 0; ; attempt++) {
      const next: ReplicaSet = {
        ...cloneJson(current),
        status: { ...status, observedGeneration: current.metadata.generation },
      };
      try {
        return await sets.updateStatus(next);
      } catch (err) {
        // One retry on a fresh read, as kube's statusUpdateRetries; the queue retries after that.
        if (attempt >= 1 || !(isApiError(err) && err.code === 409)) throw err;
        current = await sets.get(rs.metadata.name!);
      }
    }
  }
}

/** A pod as the ReplicaSet's template describes it, controlled by the ReplicaSet. */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const template = rs.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ownerReferences: [ownerRefTo(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: cloneJson(template.spec) as Pod['spec'],
  };
  if (meta.labels) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** Cached objects may lack kind (lists carry it on the list): events need it on the reference. */
export function withKind<T extends KubeObject>(
  obj: T,
  apiVersion = 'apps/v1',
  kind = 'ReplicaSet',
): T {
  return obj.kind && obj.apiVersion ? obj : { ...obj, apiVersion, kind };
}

function namespaceTerminating(err: unknown): boolean {
  if (!isApiError(err) || err.code !== 403) return false;
  const causes = (err.status as { details?: { causes?: { reason?: string; type?: string }[] } })
    .details?.causes;
  return (
    (causes ?? []).some((c) => (c.reason ?? c.type) === 'NamespaceTerminating') ||
    err.message.includes('because it is being terminated')
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const replicaSetControllerFactory: ControllerFactory = {
  name: 'replicaset',
  enabledByDefault: true,
  flags: [CONCURRENT_REPLICASET_SYNCS],
  create: () => new ReplicaSetController(),
};
