// The DaemonSet controller (kube's pkg/controller/daemon): one pod on each node that should run
// it (node selector, required node affinity, taints against the template's tolerations plus the
// ones DaemonSet pods always get), none elsewhere; the template's history in ControllerRevisions
// whose hash labels the pods; RollingUpdate within maxUnavailable (or maxSurge: the new pod
// first), OnDelete; the status numbers `kubectl rollout status ds` reads.
import { cloneJson, isApiError, jsonEqual, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type Node,
  type Pod,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { claimOwned, ownerRefTo } from '../common/controller-ref';
import { ownedObjectHandlers } from '../common/owner-routing';
import { selectorOf } from '../common/selectors';
import { Expectations } from '../common/expectations';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../common/pods';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { CONTROLLER_REVISIONS, DAEMONSETS, NODES, PODS } from '../common/resources';
import { integerFlag, readIntegerFlag } from '../flags';
import {
  nodeOfPod,
  podForNode,
  REVISION_HASH_LABEL,
  daemonScaledValue,
  shouldRun,
  templateHash,
  type DaemonSetObject,
} from './daemon-pods';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';

export const CONCURRENT_DAEMONSET_SYNCS = integerFlag(
  'concurrent-daemonset-syncs',
  2,
  'DaemonSets synced at once by the daemonset controller',
);

type Revision = KubeObject & { revision?: number; data?: unknown };

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private sets!: SharedInformer<DaemonSetObject>;
  private pods!: SharedInformer<Pod>;
  private nodes!: SharedInformer<Node>;
  private revisions!: SharedInformer<Revision>;
  private expectations!: Expectations;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.queue = controllerQueue(ctx, 'daemonset');
    this.sets = ctx.informers.informerFor<DaemonSetObject>(DAEMONSETS);
    this.pods = ctx.informers.informerFor<Pod>(PODS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.revisions = ctx.informers.informerFor<Revision>(CONTROLLER_REVISIONS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    const all = () => {
      for (const ds of this.sets.lister.list()) this.queue.add(objectKey(ds));
    };
    const handlers = [
      this.sets.addEventHandler({
        onAdd: (ds) => this.queue.add(objectKey(ds)),
        onUpdate: (_o, ds) => this.queue.add(objectKey(ds)),
        onDelete: (d) => this.expectations.forget(objectKey(finalStateOf(d))),
      }),
      this.pods.addEventHandler(
        ownedObjectHandlers<DaemonSetObject, Pod>({
          ownerKind: 'DaemonSet',
          owners: this.sets.lister,
          enqueue: (ds) => this.queue.add(objectKey(ds)),
          selectorOf: (ds) => selectorOf(ds.spec),
          expectations: this.expectations,
        }),
      ),
      this.nodes.addEventHandler({
        onAdd: all,
        onUpdate: (o, n) => {
          if (!jsonEqual(o.metadata.labels, n.metadata.labels) || !jsonEqual(o.spec, n.spec)) all();
        },
        onDelete: all,
      }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [
        this.sets,
        this.pods,
        this.nodes,
        this.revisions,
      ] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_DAEMONSET_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private async sync(key: string): Promise<void> {
    const cached = this.sets.lister.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const ds = cloneJson(cached);
    if (ds.metadata.deletionTimestamp) return;
    const hash = templateHash(ds);
    await this.ensureRevision(ds, hash);
    // Asked before the pods are read from the cache (claiming may await adoptions, during which a
    // creation can be observed): a met expectation then always covers the list it acts on.
    const expectationsMet = this.expectations.satisfied(key);
    const pods = await this.claimPods(ds);
    if (!pods) return;
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const node = nodeOfPod(p);
      if (node === undefined) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    const nodes = this.nodes.lister.list();
    const verdicts = new Map(nodes.map((n) => [n.metadata.name!, shouldRun(ds, n)]));
    // Nodes a pod should be on: to create one where `run`, to keep one where `keep`.
    const wanted = new Set(
      [...verdicts].filter(([name, v]) => v.run || (v.keep && byNode.has(name))).map(([n]) => n),
    );
    const now = this.ctx.clock.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;

    const create: string[] = [];
    const remove: Pod[] = [];
    for (const node of wanted) {
      const live = (byNode.get(node) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      const failed = live.filter((p) => p.status?.phase === 'Failed');
      remove.push(...failed);
      const running = live.filter((p) => p.status?.phase !== 'Failed');
      if (running.length === 0 && verdicts.get(node)?.run) create.push(node);
      else if (running.length > 1) {
        // Keep the oldest (a surge pod goes once the new one is available, below).
        const sorted = [...running].sort((a, b) =>
          String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
        );
        const hasNew = sorted.some((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
        if (!hasNew) remove.push(...sorted.slice(1));
      }
    }
    for (const [node, list] of byNode) {
      if (!wanted.has(node)) remove.push(...list.filter((p) => !p.metadata.deletionTimestamp));
    }

    if (expectationsMet) {
      const strategy = ds.spec?.updateStrategy ?? {};
      if (strategy.type !== 'OnDelete') {
        const plan = this.rollingUpdate(ds, hash, wanted, byNode, now);
        create.push(...plan.create);
        remove.push(...plan.remove);
      }
      await this.apply(key, ds, hash, [...new Set(create)], [...new Set(remove)]);
    }

    await this.updateStatus(ds, hash, wanted, byNode, now);
    if (minReady > 0) {
      const waits = pods.map((p) => msUntilAvailable(p, minReady, now)).filter((ms) => ms > 0);
      if (waits.length) this.queue.addAfter(key, Math.min(...waits) + 100);
    }
  }

  /** The pods this DaemonSet controls, after adopting matching orphans and releasing the rest. */
  private async claimPods(ds: DaemonSetObject): Promise<Pod[] | undefined> {
    const selector = selectorOf(ds.spec);
    if (!selector) return undefined;
    return claimOwned<Pod>(this.ctx.client, this.pods.lister, {
      owner: ds,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'DaemonSet',
      selector,
      ops: (ns) => this.ctx.client.pods(ns),
    });
  }

  /** Old pods to replace now: as many as maxUnavailable allows (or surge new ones first). */
  private rollingUpdate(
    ds: DaemonSetObject,
    hash: string,
    wanted: Set<string>,
    byNode: Map<string, Pod[]>,
    now: number,
  ): { create: string[]; remove: Pod[] } {
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    const total = wanted.size;
    const maxSurge = daemonScaledValue(ru.maxSurge, total, 0);
    const maxUnavailable = daemonScaledValue(ru.maxUnavailable, total, 1);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const create: string[] = [];
    const remove: Pod[] = [];
    let unavailable = 0;
    const candidates: { node: string; old: Pod; available: boolean; newPod?: Pod }[] = [];
    for (const node of wanted) {
      const live = (byNode.get(node) ?? []).filter(
        (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed',
      );
      const newPod = live.find((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
      const old = live.find((p) => p.metadata.labels?.[REVISION_HASH_LABEL] !== hash);
      const anyAvailable = live.some((p) => isPodAvailable(p, minReady, now));
      if (!anyAvailable) unavailable++;
      if (old)
        candidates.push({ node, old, available: isPodAvailable(old, minReady, now), newPod });
    }
    if (maxSurge > 0) {
      let surging = candidates.filter((c) => c.newPod).length;
      for (const c of candidates) {
        if (c.newPod) {
          if (isPodAvailable(c.newPod, minReady, now)) remove.push(c.old);
        } else if (!c.available) {
          remove.push(c.old);
        } else if (surging < maxSurge) {
          create.push(c.node);
          surging++;
        }
      }
      return { create, remove };
    }
    // Unavailable old pods go first: replacing them costs no availability.
    let budget = maxUnavailable - unavailable;
    for (const c of candidates) if (!c.available) remove.push(c.old);
    for (const c of candidates) {
      if (!c.available || budget <= 0) continue;
      remove.push(c.old);
      budget--;
    }
    return { create, remove };
  }

  private async apply(
    key: string,
    ds: DaemonSetObject,
    hash: string,
    create: string[],
    remove: Pod[],
  ) {
    const recorder = this.ctx.recorder(DAEMONSET_CONTROLLER);
    const ref = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
    const pods = this.ctx.client.pods(ds.metadata.namespace);
    if (create.length === 0 && remove.length === 0) return;
    this.expectations.expect(
      key,
      create.length,
      remove.map((p) => objectKey(p)),
    );
    const errors: unknown[] = [];
    await Promise.all([
      ...create.map(async (node) => {
        try {
          const created = await pods.create(podForNode(ds, node, hash));
          recorder.eventf(
            ref,
            undefined,
            'Normal',
            'SuccessfulCreate',
            'Create',
            'Created pod: %s',
            created.metadata.name,
          );
        } catch (err) {
          this.expectations.creationObserved(key);
          errors.push(err);
        }
      }),
      ...remove.map(async (p) => {
        try {
          await pods.delete(p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
          recorder.eventf(
            ref,
            undefined,
            'Normal',
            'SuccessfulDelete',
            'Delete',
            'Deleted pod: %s',
            p.metadata.name,
          );
        } catch (err) {
          this.expectations.deletionObserved(key, objectKey(p));
          if (!(isApiError(err) && (err.code === 404 || err.code === 409))) errors.push(err);
        }
      }),
    ]);
    if (errors.length > 0) throw errors[0];
  }

  /** The template's ControllerRevision (made once per hash), and old ones beyond the history limit pruned. */
  private async ensureRevision(ds: DaemonSetObject, hash: string): Promise<void> {
    const client = this.ctx.client.forKind<Revision>(
      'apps/v1',
      'ControllerRevision',
      ds.metadata.namespace,
    );
    // History left by an earlier DaemonSet of this selector (deleted with --cascade=orphan) is
    // adopted, as Kubernetes claims ControllerRevisions.
    const selector = selectorOf(ds.spec);
    const owned = (
      selector
        ? await claimOwned<Revision>(this.ctx.client, this.revisions.lister, {
            owner: ds,
            ownerApiVersion: 'apps/v1',
            ownerKind: 'DaemonSet',
            selector,
            ops: () => client,
          })
        : this.revisions.lister.byIndex(CONTROLLER_UID_INDEX, ds.metadata.uid ?? '')
    ).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    const name = `${ds.metadata.name}-${hash}`;
    const max = owned.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    const current = owned.find((r) => r.metadata.name === name);
    if (!current) {
      try {
        await client.create({
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: {
            name,
            namespace: ds.metadata.namespace,
            labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
            ownerReferences: [ownerRefTo(ds, 'apps/v1', 'DaemonSet')],
          },
          data: {
            spec: { template: { ...cloneJson(ds.spec?.template ?? {}), $patch: 'replace' } },
          },
          revision: max + 1,
        });
      } catch (err) {
        if (!(isApiError(err) && err.code === 409)) throw err;
      }
    } else if ((current.revision ?? 0) < max) {
      // Rolled back to an older template: it becomes the newest revision again.
      await client.update({ ...current, revision: max + 1 }).catch((err: unknown) => {
        if (!(isApiError(err) && err.code === 409)) throw err;
      });
    }
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    const inUse = new Set(
      this.pods.lister
        .byIndex(CONTROLLER_UID_INDEX, ds.metadata.uid ?? '')
        .map((p) => p.metadata.labels?.[REVISION_HASH_LABEL]),
    );
    const old = owned.filter(
      (r) => r.metadata.name !== name && !inUse.has(r.metadata.labels?.[REVISION_HASH_LABEL]),
    );
    for (const r of old.slice(0, Math.max(0, old.length - limit))) {
      await client.delete(r.metadata.name!).catch((err: unknown) => {
        if (!(isApiError(err) && err.code === 404)) throw err;
      });
    }
  }

  private async updateStatus(
    ds: DaemonSetObject,
    hash: string,
    wanted: Set<string>,
    byNode: Map<string, Pod[]>,
    now: number,
  ): Promise<void> {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    for (const [node, list] of byNode) {
      const live = list.filter((p) => !p.metadata.deletionTimestamp);
      if (live.length === 0) continue;
      if (!wanted.has(node)) {
        misscheduled++;
        continue;
      }
      current++;
      if (live.some(isPodReady)) ready++;
      if (live.some((p) => isPodAvailable(p, minReady, now))) available++;
      if (live.some((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash)) updated++;
    }
    const status = {
      ...(ds.status ?? {}),
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: wanted.size,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, wanted.size - available),
    };
    if (jsonEqual(status, ds.status ?? {})) return;
    const client = this.ctx.client.forKind<DaemonSetObject>(
      'apps/v1',
      'DaemonSet',
      ds.metadata.namespace,
    );
    await client.updateStatus({ ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet', status });
  }
}

export const daemonSetControllerFactory: ControllerFactory = {
  name: 'daemonset',
  enabledByDefault: true,
  flags: [CONCURRENT_DAEMONSET_SYNCS],
  create: () => new DaemonSetController(),
};
