// The StatefulSet controller (kube's pkg/controller/statefulset): pods <set>-<ordinal> with a
// stable hostname under the governing Service (the EndpointSlice controller publishes their DNS
// names), each with its PersistentVolumeClaims from volumeClaimTemplates. OrderedReady creates
// them one at a time, each waiting for its predecessor to be Running and Ready, and scales down
// from the highest ordinal; Parallel does not wait. RollingUpdate replaces pods from the highest
// ordinal down to the partition, one at a time; OnDelete leaves that to the user. Templates are
// kept as ControllerRevisions; claim retention follows persistentVolumeClaimRetentionPolicy.
import {
  cloneJson,
  isApiError,
  jsonEqual,
  type KubeObject,
  type LabelSelector,
} from '@flotilla/api';
import { objectKey, type Pod, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { claimOwned, ownerRefTo } from '../common/controller-ref';
import { ownedObjectHandlers } from '../common/owner-routing';
import { selectorOf } from '../common/selectors';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { isPodAvailable, isPodReady } from '../common/pods';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { CONTROLLER_REVISIONS, PODS, STATEFULSETS } from '../common/resources';
import { integerFlag, readIntegerFlag } from '../flags';
import {
  claimForOrdinal,
  claimName,
  ordinalOf,
  podForOrdinal,
  REVISION_LABEL,
  revisionName,
  type PodTemplate,
  type StatefulSetObject,
} from './stateful-pods';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';

export const CONCURRENT_STATEFULSET_SYNCS = integerFlag(
  'concurrent-statefulset-syncs',
  5,
  'StatefulSets synced at once by the statefulset controller',
);

type Revision = KubeObject & { revision?: number; data?: { spec?: { template?: PodTemplate } } };

const runningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private sets!: SharedInformer<StatefulSetObject>;
  private pods!: SharedInformer<Pod>;
  private revisions!: SharedInformer<Revision>;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'statefulset');
    this.sets = ctx.informers.informerFor<StatefulSetObject>(STATEFULSETS);
    this.pods = ctx.informers.informerFor<Pod>(PODS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    this.revisions = ctx.informers.informerFor<Revision>(CONTROLLER_REVISIONS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    const handlers = [
      this.sets.addEventHandler({
        onAdd: (s) => this.queue.add(objectKey(s)),
        onUpdate: (_o, s) => this.queue.add(objectKey(s)),
      }),
      this.pods.addEventHandler(
        ownedObjectHandlers<StatefulSetObject, Pod>({
          ownerKind: 'StatefulSet',
          owners: this.sets.lister,
          enqueue: (s) => this.queue.add(objectKey(s)),
          selectorOf: (s) => selectorOf(s.spec),
        }),
      ),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.sets, this.pods, this.revisions] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_STATEFULSET_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private async sync(key: string): Promise<void> {
    const cached = this.sets.lister.getByKey(key);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const sts = cloneJson(cached);
    const spec = sts.spec ?? {};
    const template = spec.template ?? {};
    const updateRevision = revisionName(sts, template);
    const revisions = await this.ensureRevision(sts, updateRevision, template);
    const currentRevision = (sts.status?.currentRevision as string | undefined) || updateRevision;
    const currentTemplate =
      currentRevision === updateRevision
        ? template
        : (revisions.find((r) => r.metadata.name === currentRevision)?.data?.spec?.template ??
          template);

    const selector = selectorOf(spec);
    if (!selector) return;
    const pods = await this.claimPods(sts, selector);
    const byOrdinal = new Map<number, Pod>();
    for (const p of pods) {
      const o = ordinalOf(sts, p);
      if (o !== undefined) byOrdinal.set(o, p);
    }
    const start = spec.ordinals?.start ?? 0;
    const replicas = spec.replicas ?? 1;
    const end = start + replicas;
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
    const client = this.ctx.client.pods(sts.metadata.namespace);
    const recorder = this.ctx.recorder(STATEFULSET_CONTROLLER);
    const ref = { ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' };

    let blocked = false;
    for (let ordinal = start; ordinal < end && !blocked; ordinal++) {
      const pod = byOrdinal.get(ordinal);
      if (pod?.status?.phase === 'Failed' && !pod.metadata.deletionTimestamp) {
        await this.deletePod(pod);
        if (monotonic) blocked = true;
        continue;
      }
      if (!pod) {
        await this.ensureClaims(sts, ordinal);
        const useCurrent = rolling && ordinal < partition;
        const body = useCurrent
          ? podForOrdinal(sts, ordinal, currentTemplate, currentRevision)
          : podForOrdinal(sts, ordinal, template, updateRevision);
        try {
          await client.create(body);
          recorder.eventf(
            ref,
            undefined,
            'Normal',
            'SuccessfulCreate',
            'Create',
            'create Pod %s in StatefulSet %s successful',
            body.metadata.name,
            sts.metadata.name,
          );
        } catch (err) {
          if (!(isApiError(err) && err.code === 409)) throw err;
        }
        if (monotonic) blocked = true;
        continue;
      }
      if (monotonic && (pod.metadata.deletionTimestamp || !runningAndReady(pod))) blocked = true;
    }

    // Scale down: the highest ordinal first, one at a time when ordered.
    const condemned = [...byOrdinal.entries()]
      .filter(([o]) => o < start || o >= end)
      .sort((a, b) => b[0] - a[0]);
    if (!blocked) {
      for (const [, pod] of condemned) {
        if (pod.metadata.deletionTimestamp) {
          if (monotonic) break;
          continue;
        }
        await this.deletePod(pod);
        recorder.eventf(
          ref,
          undefined,
          'Normal',
          'SuccessfulDelete',
          'Delete',
          'delete Pod %s in StatefulSet %s successful',
          pod.metadata.name,
          sts.metadata.name,
        );
        if (monotonic) break;
      }
    }
    if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
      await this.deleteScaledClaims(sts, byOrdinal, start, end);
    }

    // Rolling update: from the highest ordinal down to the partition, once everything is ready.
    const inRange = [...byOrdinal.entries()].filter(([o]) => o >= start && o < end);
    const settled =
      condemned.length === 0 &&
      inRange.length === replicas &&
      inRange.every(([, p]) => !p.metadata.deletionTimestamp && runningAndReady(p));
    if (rolling && !blocked && settled) {
      const stale = inRange
        .filter(
          ([o, p]) => o >= partition && p.metadata.labels?.[REVISION_LABEL] !== updateRevision,
        )
        .sort((a, b) => b[0] - a[0]);
      if (stale.length > 0) await this.deletePod(stale[0][1]);
    }
    await this.updateStatus(sts, pods, start, end, currentRevision, updateRevision);
  }

  /**
   * The pods this StatefulSet controls, after adopting orphans that match its selector and are
   * named as its members (<set>-<ordinal>), and releasing those that stopped matching.
   */
  private async claimPods(sts: StatefulSetObject, selector: LabelSelector): Promise<Pod[]> {
    return claimOwned<Pod>(this.ctx.client, this.pods.lister, {
      owner: sts,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'StatefulSet',
      selector,
      ops: (ns) => this.ctx.client.pods(ns),
      filter: (p) => ordinalOf(sts, p) !== undefined,
    });
  }

  private async deletePod(pod: Pod): Promise<void> {
    await this.ctx.client
      .pods(pod.metadata.namespace)
      .delete(pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } })
      .catch((err: unknown) => {
        if (!(isApiError(err) && (err.code === 404 || err.code === 409))) throw err;
      });
  }

  private async ensureClaims(sts: StatefulSetObject, ordinal: number): Promise<void> {
    const claims = this.ctx.client.forKind('v1', 'PersistentVolumeClaim', sts.metadata.namespace);
    for (const template of sts.spec?.volumeClaimTemplates ?? []) {
      try {
        await claims.create(claimForOrdinal(sts, template, ordinal));
      } catch (err) {
        // Claims outlive pods: an existing claim is the one this ordinal had before.
        if (!(isApiError(err) && err.code === 409)) throw err;
      }
    }
  }

  private async deleteScaledClaims(
    sts: StatefulSetObject,
    byOrdinal: Map<number, Pod>,
    start: number,
    end: number,
  ) {
    const claims = this.ctx.client.forKind('v1', 'PersistentVolumeClaim', sts.metadata.namespace);
    const list = (await claims.list()).items;
    for (const template of sts.spec?.volumeClaimTemplates ?? []) {
      for (const c of list) {
        const prefix = `${template.metadata?.name}-${sts.metadata.name}-`;
        const name = c.metadata.name ?? '';
        if (!name.startsWith(prefix)) continue;
        const ordinal = Number(name.slice(prefix.length));
        if (
          !Number.isInteger(ordinal) ||
          (ordinal >= start && ordinal < end) ||
          byOrdinal.has(ordinal)
        )
          continue;
        if (claimName(template, sts, ordinal) !== name) continue;
        await claims.delete(name).catch((err: unknown) => {
          if (!(isApiError(err) && err.code === 404)) throw err;
        });
      }
    }
  }

  private async ensureRevision(
    sts: StatefulSetObject,
    name: string,
    template: PodTemplate,
  ): Promise<Revision[]> {
    const client = this.ctx.client.forKind<Revision>(
      'apps/v1',
      'ControllerRevision',
      sts.metadata.namespace,
    );
    // History left by an earlier StatefulSet of this selector is adopted, as Kubernetes does.
    const selector = selectorOf(sts.spec);
    const owned = selector
      ? await claimOwned<Revision>(this.ctx.client, this.revisions.lister, {
          owner: sts,
          ownerApiVersion: 'apps/v1',
          ownerKind: 'StatefulSet',
          selector,
          ops: () => client,
        })
      : this.revisions.lister.byIndex(CONTROLLER_UID_INDEX, sts.metadata.uid ?? '');
    if (owned.some((r) => r.metadata.name === name)) return owned;
    const max = owned.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    try {
      const created = await client.create({
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name,
          namespace: sts.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}), [REVISION_LABEL]: name },
          ownerReferences: [ownerRefTo(sts, 'apps/v1', 'StatefulSet')],
        },
        data: { spec: { template: cloneJson(template) } },
        revision: max + 1,
      });
      return [...owned, created];
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err;
      return owned;
    }
  }

  private async updateStatus(
    sts: StatefulSetObject,
    pods: Pod[],
    start: number,
    end: number,
    currentRevision: string,
    updateRevision: string,
  ): Promise<void> {
    const minReady = sts.spec?.minReadySeconds ?? 0;
    const now = this.ctx.clock.now();
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(isPodReady).length;
    const available = live.filter((p) => isPodAvailable(p, minReady, now)).length;
    const updated = live.filter(
      (p) => p.metadata.labels?.[REVISION_LABEL] === updateRevision,
    ).length;
    const current = live.filter(
      (p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision,
    ).length;
    const replicas = end - start;
    // The update is complete once every wanted pod runs the new template.
    const done = updated === replicas && live.length === replicas && ready === replicas;
    const status = {
      ...(sts.status ?? {}),
      observedGeneration: sts.metadata.generation,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: available,
      currentReplicas: done ? updated : current,
      updatedReplicas: updated,
      currentRevision: done ? updateRevision : currentRevision,
      updateRevision,
    };
    if (jsonEqual(status, sts.status ?? {})) return;
    await this.ctx.client
      .forKind<StatefulSetObject>('apps/v1', 'StatefulSet', sts.metadata.namespace)
      .updateStatus({ ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet', status });
  }
}

export const statefulSetControllerFactory: ControllerFactory = {
  name: 'statefulset',
  enabledByDefault: true,
  flags: [CONCURRENT_STATEFULSET_SYNCS],
  create: () => new StatefulSetController(),
};
