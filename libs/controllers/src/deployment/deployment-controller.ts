// The Deployment controller (kube's pkg/controller/deployment): rolls a Deployment's pods from
// one template to the next through ReplicaSets, one per template (named <deployment>-<hash>,
// with the pod-template-hash label in its selector), and reports progress in status.
// RollingUpdate grows the new ReplicaSet up to replicas + maxSurge pods and shrinks the old ones
// while at least replicas - maxUnavailable stay available; Recreate removes every old pod first.
// A change of size in mid-rollout is spread over the ReplicaSets in proportion; paused
// Deployments only scale; old ReplicaSets beyond revisionHistoryLimit are deleted; a rollback
// (`kubectl rollout undo` writes an old template back) makes that old ReplicaSet the new one,
// with the next revision.
import { cloneJson, isApiError, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type Deployment,
  type DeletedFinalStateUnknown,
  type Pod,
  type ReplicaSet,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { claimOwned, controllerRefOf, ownerRefTo } from '../common/controller-ref';
import { ownedObjectHandlers, resolveController } from '../common/owner-routing';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../common/resources';
import { selectorOf } from '../common/selectors';
import { integerFlag, readIntegerFlag } from '../flags';
import { withKind } from '../replicaset/replicaset-controller';
import * as u from './deployment-util';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';

export const CONCURRENT_DEPLOYMENT_SYNCS = integerFlag(
  'concurrent-deployment-syncs',
  5,
  'Deployments synced at once by the deployment controller',
);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One sync's view of a Deployment: a private copy, updated as this sync writes it. */
interface Sync {
  d: Deployment;
  key: string;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private deployments!: SharedInformer<Deployment>;
  private sets!: SharedInformer<ReplicaSet>;
  private pods!: SharedInformer<Pod>;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'deployment');
    this.deployments = ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
    this.sets = ctx.informers.informerFor<ReplicaSet>(REPLICASETS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    this.pods = ctx.informers.informerFor<Pod>(PODS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    const handlers = [
      this.deployments.addEventHandler({
        onAdd: (d) => this.enqueue(d),
        onUpdate: (_o, d) => this.enqueue(d),
        onDelete: (d) => this.enqueue(finalStateOf(d)),
      }),
      this.sets.addEventHandler(
        ownedObjectHandlers<Deployment, ReplicaSet>({
          ownerKind: 'Deployment',
          owners: this.deployments.lister,
          enqueue: (d) => this.enqueue(d),
          selectorOf: (d) => selectorOf(d.spec),
        }),
      ),
      this.pods.addEventHandler({ onDelete: (d) => this.podDeleted(d) }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [
        this.deployments,
        this.sets,
        this.pods,
      ] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_DEPLOYMENT_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  // ---- event handlers ------------------------------------------------------------------------

  private enqueue(d: Deployment): void {
    this.queue.add(objectKey(d));
  }

  /** A Recreate rollout waits for the old pods to be gone: the last one's deletion wakes it. */
  private podDeleted(deleted: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = finalStateOf(deleted);
    const rs = resolveController(pod, 'ReplicaSet', this.sets.lister);
    if (!rs) return;
    const d = resolveController(rs, 'Deployment', this.deployments.lister);
    if (!d || u.isRollingUpdate(d)) return;
    const sets = this.sets.lister.byIndex(CONTROLLER_UID_INDEX, d.metadata.uid ?? '');
    const left = sets.reduce((n, s) => n + this.podsOf(s).length, 0);
    if (left === 0) this.enqueue(d);
  }

  private podsOf(rs: ReplicaSet): Pod[] {
    return this.pods.lister.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid ?? '');
  }

  // ---- sync ----------------------------------------------------------------------------------

  private async sync(key: string): Promise<void> {
    const cached = this.deployments.lister.getByKey(key);
    if (!cached) return;
    const s: Sync = { d: cloneJson(cached), key };
    const d = s.d;
    const selector = selectorOf(d.spec);
    const sel = d.spec?.selector;
    if (
      !selector ||
      (!sel?.matchLabels && !sel?.matchExpressions) ||
      (Object.keys(sel?.matchLabels ?? {}).length === 0 &&
        (sel?.matchExpressions ?? []).length === 0)
    ) {
      this.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0))
        await this.writeStatus(s, {
          ...(d.status ?? {}),
          observedGeneration: d.metadata.generation,
        });
      return;
    }
    const sets = (
      await claimOwned<ReplicaSet>(this.ctx.client, this.sets.lister, {
        owner: d,
        ownerApiVersion: 'apps/v1',
        ownerKind: 'Deployment',
        selector,
        ops: (ns) => this.ctx.client.replicaSets(ns),
      })
    ).map((rs) => cloneJson(rs));

    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(s, sets);
    await this.checkPausedConditions(s);
    if (d.spec?.paused) return this.syncScale(s, sets);
    if (await this.isScalingEvent(s, sets)) return this.syncScale(s, sets);
    if (u.isRollingUpdate(d)) return this.rolloutRolling(s, sets);
    return this.rolloutRecreate(s, sets);
  }

  /** The new ReplicaSet (created if asked and missing) and the old ones, revisions in order. */
  private async allReplicaSets(
    s: Sync,
    sets: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const found = u.findNewReplicaSet(s.d, sets);
    const oldRSs = sets.filter((rs) => rs !== found);
    const newRS = await this.newReplicaSet(s, found, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async newReplicaSet(
    s: Sync,
    existing: ReplicaSet | undefined,
    oldRSs: ReplicaSet[],
    create: boolean,
  ): Promise<ReplicaSet | undefined> {
    const d = s.d;
    const newRevision = u.maxRevision(oldRSs) + 1;
    const now = this.ctx.clock.now();
    if (existing) {
      const copy = cloneJson(existing) as Mutable<ReplicaSet>;
      const annotated = u.setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
        copy.spec = { ...copy.spec!, minReadySeconds: minReady };
        return this.ctx.client.replicaSets(copy.metadata.namespace).update(copy);
      }
      let needsUpdate = setRevision(d, copy.metadata.annotations?.[u.REVISION] ?? '');
      if (u.hasProgressDeadline(d) && !u.conditionOf(d.status, 'Progressing')) {
        const c = u.newCondition(
          'Progressing',
          'True',
          u.REASON.foundNewRS,
          `Found new replica set "${copy.metadata.name}"`,
          now,
        );
        (d as Mutable<Deployment>).status = u.setCondition(d.status ?? {}, c);
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus(s, d.status ?? {});
      return copy;
    }
    if (!create) return undefined;

    const template = cloneJson(d.spec!.template) as Mutable<
      NonNullable<Deployment['spec']>
    >['template'];
    const hash = u.computeHash(template, d.status?.collisionCount);
    const labels = { ...(template.metadata?.labels ?? {}), [u.POD_TEMPLATE_HASH]: hash };
    (template as { metadata?: unknown }).metadata = { ...(template.metadata ?? {}), labels };
    const selector = cloneJson(d.spec!.selector);
    const newRS: Mutable<ReplicaSet> = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [ownerRefTo(d, 'apps/v1', 'Deployment')],
        labels,
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec?.minReadySeconds,
        selector: {
          ...selector,
          matchLabels: { ...(selector.matchLabels ?? {}), [u.POD_TEMPLATE_HASH]: hash },
        },
        template,
      },
    };
    const replicas = u.newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec = { ...newRS.spec!, replicas };
    u.setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.ctx.client.replicaSets(d.metadata.namespace).create(newRS);
    } catch (err) {
      if (isApiError(err) && err.code === 409 && err.reason === 'AlreadyExists') {
        const found = await this.ctx.client
          .replicaSets(d.metadata.namespace)
          .get(newRS.metadata.name!);
        const ref = controllerRefOf(found);
        if (
          ref?.uid === d.metadata.uid &&
          u.equalIgnoreHash(d.spec?.template, found.spec?.template)
        ) {
          created = found;
          alreadyExisted = true;
        } else {
          // A hash collision: the next sync hashes with a higher collision count.
          await this.writeStatus(s, {
            ...(d.status ?? {}),
            collisionCount: (d.status?.collisionCount ?? 0) + 1,
          });
          throw err;
        }
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${messageOf(err)}`;
        if (u.hasProgressDeadline(d)) {
          const c = u.newCondition('Progressing', 'False', u.REASON.failedRSCreate, msg, now);
          await this.writeStatus(s, u.setCondition(d.status ?? {}, c)).catch(() => undefined);
        }
        this.event(d, 'Warning', u.REASON.failedRSCreate, msg);
        throw err;
      }
    }
    if (!alreadyExisted && replicas > 0)
      this.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`,
      );
    let needsUpdate = setRevision(d, String(newRevision));
    if (!alreadyExisted && u.hasProgressDeadline(d)) {
      const c = u.newCondition(
        'Progressing',
        'True',
        u.REASON.newRSCreated,
        `Created new replica set "${created.metadata.name}"`,
        now,
      );
      (d as Mutable<Deployment>).status = u.setCondition(d.status ?? {}, c);
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus(s, d.status ?? {});
    return cloneJson(created);
  }

  private async syncStatusOnly(s: Sync, sets: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(s, sets, false);
    await this.syncDeploymentStatus(s, [...oldRSs, newRS], newRS);
  }

  /** Scaling, or a paused Deployment: resize the ReplicaSets; no rollout step. */
  private async syncScale(s: Sync, sets: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(s, sets, false);
    await this.scale(s, newRS, oldRSs);
    if (s.d.spec?.paused) await this.cleanup(s, oldRSs);
    await this.syncDeploymentStatus(s, [...oldRSs, newRS], newRS);
  }

  private async isScalingEvent(s: Sync, sets: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSets(s, sets, false);
    const want = u.replicasOf(s.d);
    return [...oldRSs, newRS].filter(u.isActive).some((rs) => {
      const desired = u.desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== want;
    });
  }

  private async checkPausedConditions(s: Sync): Promise<void> {
    const d = s.d;
    if (!u.hasProgressDeadline(d)) return;
    const cond = u.conditionOf(d.status, 'Progressing');
    if (cond?.reason === u.REASON.timedOut) return;
    const pausedShown = cond?.reason === u.REASON.paused;
    const now = this.ctx.clock.now();
    let next: u.DeploymentStatus | undefined;
    if (d.spec?.paused && !pausedShown) {
      next = u.setCondition(
        d.status ?? {},
        u.newCondition('Progressing', 'Unknown', u.REASON.paused, 'Deployment is paused', now),
      );
    } else if (!d.spec?.paused && pausedShown) {
      next = u.setCondition(
        d.status ?? {},
        u.newCondition('Progressing', 'Unknown', u.REASON.resumed, 'Deployment is resumed', now),
      );
    }
    if (next) await this.writeStatus(s, next);
  }

  // ---- rolling update and recreate ---------------------------------------------------------------

  private async rolloutRolling(s: Sync, sets: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(s, sets, true);
    const all = [...oldRSs, newRS!];
    if (await this.reconcileNewReplicaSet(s, all, newRS!))
      return this.syncRolloutStatus(s, all, newRS);
    if (await this.reconcileOldReplicaSets(s, all, oldRSs.filter(u.isActive), newRS!))
      return this.syncRolloutStatus(s, all, newRS);
    if (u.deploymentComplete(s.d, s.d.status ?? {})) await this.cleanup(s, oldRSs);
    return this.syncRolloutStatus(s, all, newRS);
  }

  private async reconcileNewReplicaSet(
    s: Sync,
    all: ReplicaSet[],
    newRS: ReplicaSet,
  ): Promise<boolean> {
    const want = u.replicasOf(s.d);
    const have = u.replicasOf(newRS);
    if (have === want) return false;
    if (have > want) return (await this.scaleAndRecord(s, newRS, want)).scaled;
    return (await this.scaleAndRecord(s, newRS, u.newRSNewReplicas(s.d, all, newRS))).scaled;
  }

  private async reconcileOldReplicaSets(
    s: Sync,
    all: ReplicaSet[],
    oldActive: ReplicaSet[],
    newRS: ReplicaSet,
  ): Promise<boolean> {
    if (u.specReplicas(oldActive) === 0) return false;
    const d = s.d;
    const minAvailable = u.replicasOf(d) - u.maxUnavailable(d);
    const newUnavailable = u.replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = u.specReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // First the old pods that are not available anyway, oldest ReplicaSet first.
    const olds = [...oldActive].sort(u.byCreation);
    let cleaned = 0;
    for (let i = 0; i < olds.length && cleaned < maxScaledDown; i++) {
      const rs = olds[i];
      const size = u.replicasOf(rs);
      const unhealthy = size - (rs.status?.availableReplicas ?? 0);
      if (size === 0 || unhealthy <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      olds[i] = (await this.scaleAndRecord(s, rs, size - down)).rs;
      cleaned += down;
    }
    // Then available ones, as far as availability allows.
    let scaledDown = 0;
    const available = u.availableReplicas([...olds, newRS]);
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of olds) {
        if (scaledDown >= total) break;
        const size = u.replicasOf(rs);
        if (size === 0) continue;
        const down = Math.min(size, total - scaledDown);
        await this.scaleAndRecord(s, rs, size - down);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0;
  }

  private async rolloutRecreate(s: Sync, sets: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.allReplicaSets(s, sets, false);
    let all: (ReplicaSet | undefined)[] = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of oldRSs.filter(u.isActive)) {
      if ((await this.scaleAndRecord(s, rs, 0)).scaled) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(s, all, newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(s, all, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.allReplicaSets(s, sets, true));
      all = [...oldRSs, newRS];
    }
    if (newRS && u.replicasOf(newRS) !== u.replicasOf(s.d))
      await this.scaleAndRecord(s, newRS, u.replicasOf(s.d));
    if (u.deploymentComplete(s.d, s.d.status ?? {})) await this.cleanup(s, oldRSs);
    return this.syncRolloutStatus(s, all, newRS);
  }

  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (u.actualReplicas(oldRSs) > 0) return true;
    return oldRSs.some(
      (rs) =>
        rs.metadata.uid !== newRS?.metadata.uid &&
        this.podsOf(rs).some(
          (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
        ),
    );
  }

  // ---- scaling ------------------------------------------------------------------------------------

  /** kube's scale(): one active ReplicaSet takes the new size; otherwise proportionally. */
  private async scale(s: Sync, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = s.d;
    const want = u.replicasOf(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (u.replicasOf(activeOrLatest) !== want) await this.scaleAndRecord(s, activeOrLatest, want);
      return;
    }
    if (u.isSaturated(d, newRS)) {
      for (const old of oldRSs.filter(u.isActive)) await this.scaleAndRecord(s, old, 0);
      return;
    }
    if (!u.isRollingUpdate(d)) return;
    const active = [...oldRSs, newRS].filter(u.isActive);
    const allowed = want > 0 ? want + u.maxSurge(d) : 0;
    const toAdd = allowed - u.specReplicas(active);
    let op = '';
    if (toAdd > 0) {
      active.sort((a, b) => u.replicasOf(b) - u.replicasOf(a) || u.byCreation(b, a));
      op = 'up';
    } else if (toAdd < 0) {
      active.sort((a, b) => u.replicasOf(b) - u.replicasOf(a) || u.byCreation(a, b));
      op = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of active) {
      const p = toAdd !== 0 ? u.proportion(rs, d, toAdd, added) : 0;
      sizes.set(rs.metadata.name!, u.replicasOf(rs) + p);
      added += p;
    }
    for (let i = 0; i < active.length; i++) {
      const rs = active[i];
      let size = sizes.get(rs.metadata.name!)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      await this.scaleReplicaSet(s, rs, size, op);
    }
  }

  private async scaleAndRecord(
    s: Sync,
    rs: ReplicaSet,
    size: number,
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (u.replicasOf(rs) === size) return { scaled: false, rs };
    return this.scaleReplicaSet(s, rs, size, u.replicasOf(rs) < size ? 'up' : 'down');
  }

  private async scaleReplicaSet(
    s: Sync,
    rs: ReplicaSet,
    size: number,
    op: string,
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const d = s.d;
    const desired = u.replicasOf(d);
    const max = desired + u.maxSurge(d);
    const resize = u.replicasOf(rs) !== size;
    if (!resize && !u.replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const from = u.replicasOf(rs);
    const copy = cloneJson(rs) as Mutable<ReplicaSet>;
    copy.spec = { ...copy.spec!, replicas: size };
    u.setReplicasAnnotations(copy, desired, max);
    const updated = await this.ctx.client.replicaSets(rs.metadata.namespace).update(copy);
    // The caller's lists hold `rs`: keep them in step with what is stored now.
    Object.assign(rs as Mutable<ReplicaSet>, cloneJson(updated));
    if (resize)
      this.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${rs.metadata.name} to ${size} from ${from}`,
      );
    return { scaled: resize, rs };
  }

  /** Deletes the oldest ReplicaSets beyond revisionHistoryLimit that have nothing left. */
  private async cleanup(s: Sync, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = s.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    alive.sort(u.byRevision);
    for (const rs of alive.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || u.replicasOf(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.ctx.client.replicaSets(rs.metadata.namespace).delete(rs.metadata.name!, {
          preconditions: { uid: rs.metadata.uid },
        });
      } catch (err) {
        if (!(isApiError(err) && err.code === 404)) throw err;
      }
    }
  }

  // ---- status -------------------------------------------------------------------------------------

  private async syncDeploymentStatus(
    s: Sync,
    all: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    const status = u.calculateStatus(all, newRS, s.d, this.ctx.clock.now());
    if (sameStatus(s.d.status, status)) return;
    await this.writeStatus(s, status);
  }

  private async syncRolloutStatus(
    s: Sync,
    all: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    const d = s.d;
    const now = this.ctx.clock.now();
    let status = u.calculateStatus(all, newRS, d, now);
    if (!u.hasProgressDeadline(d)) status = u.removeCondition(status, 'Progressing');
    const current = u.conditionOf(d.status, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === u.REASON.newRSAvailable;
    if (u.hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.metadata.name;
      if (u.deploymentComplete(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${d.metadata.name}" has successfully progressed.`;
        status = u.setCondition(
          status,
          u.newCondition('Progressing', 'True', u.REASON.newRSAvailable, msg, now),
        );
      } else if (u.deploymentProgressing(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${d.metadata.name}" is progressing.`;
        const c = u.newCondition('Progressing', 'True', u.REASON.rsUpdated, msg, now);
        if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        status = u.removeCondition(status, 'Progressing');
        status = { ...status, conditions: [...(status.conditions ?? []), c] };
      } else if (u.deploymentTimedOut(d, status, now)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        status = u.setCondition(
          status,
          u.newCondition('Progressing', 'False', u.REASON.timedOut, msg, now),
        );
      }
    }
    const failure = replicaFailure(all, newRS);
    status = failure
      ? u.setCondition(status, failure)
      : u.removeCondition(status, 'ReplicaFailure');
    if (sameStatus(d.status, status)) {
      this.requeueStuck(s, status);
      return;
    }
    await this.writeStatus(s, status);
  }

  /** A rollout that shows no progress is looked at again when its deadline passes. */
  private requeueStuck(s: Sync, status: u.DeploymentStatus): void {
    const d = s.d;
    const cond = u.conditionOf(d.status, 'Progressing');
    if (!u.hasProgressDeadline(d) || !cond) return;
    if (u.deploymentComplete(d, status) || cond.reason === u.REASON.timedOut) return;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isFinite(from)) return;
    const after = from + d.spec!.progressDeadlineSeconds! * 1000 - this.ctx.clock.now();
    if (after < 1000) this.queue.addRateLimited(s.key);
    else this.queue.addAfter(s.key, after + 1000);
  }

  /** Writes status (and annotations) on the copy this sync holds, and keeps that copy current. */
  private async writeStatus(s: Sync, status: u.DeploymentStatus): Promise<void> {
    const body: Deployment = { ...s.d, status };
    const written = await this.ctx.client.deployments(s.d.metadata.namespace).updateStatus(body);
    s.d = cloneJson(written);
  }

  private event(d: Deployment, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.ctx
      .recorder(DEPLOYMENT_CONTROLLER)
      .eventf(
        withKind(d, 'apps/v1', 'Deployment'),
        undefined,
        type,
        reason,
        reasonAction(reason),
        '%s',
        note,
      );
  }
}

function reasonAction(reason: string): string {
  return reason === 'ScalingReplicaSet' ? 'Scale' : reason;
}

/** Sets the Deployment's revision annotation; true when it changed. */
function setRevision(d: Deployment, revision: string): boolean {
  if (!revision || d.metadata.annotations?.[u.REVISION] === revision) return false;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [u.REVISION]: revision };
  return true;
}

/** kube's FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active. */
function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => u.byCreation(b, a));
  const active = [...newestFirst, newRS].filter(u.isActive);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The ReplicaFailure condition of the new ReplicaSet (else of an old one), for the Deployment. */
function replicaFailure(
  all: (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): u.DeploymentCondition | undefined {
  const ordered = [newRS, ...all.filter((rs) => rs !== newRS)];
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) {
      return {
        type: 'ReplicaFailure',
        status: c.status,
        reason: c.reason,
        message: c.message,
        lastTransitionTime: c.lastTransitionTime,
        lastUpdateTime: c.lastTransitionTime,
      };
    }
  }
  return undefined;
}

function sameStatus(a: u.DeploymentStatus | undefined, b: u.DeploymentStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

function normalize(s: u.DeploymentStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(s).sort()) {
    const v = (s as Record<string, unknown>)[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'number' && v === 0 && k !== 'observedGeneration') continue;
    out[k] = Array.isArray(v) ? v.map((c) => sortKeys(c)) : v;
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => [k, o[k]]),
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const deploymentControllerFactory: ControllerFactory = {
  name: 'deployment',
  enabledByDefault: true,
  flags: [CONCURRENT_DEPLOYMENT_SYNCS],
  create: () => new DeploymentController(),
};
