// The garbage collector (kube's pkg/controller/garbagecollector): watches every kind the server
// serves (events aside) and keeps the ownership graph; an object all of whose owners are gone is
// deleted (with the propagation its own finalizers ask for); an owner deleted with
// propagationPolicy Orphan has the references to it removed from its dependents, then its
// `orphan` finalizer; an owner deleted in the Foreground has its dependents deleted, and loses
// its `foregroundDeletion` finalizer once none of them blocks it any more. Owners are looked up
// against the API (not the cache) before anything is deleted.
import {
  apiVersionOf,
  findByKind,
  isApiError,
  onKindsChanged,
  RESOURCES,
  type ResourceInfo,
  type KubeObject,
  type OwnerReference,
} from '@flotilla/api';
import {
  finalStateOf,
  WorkQueue,
  type DeleteOptions,
  type HandlerRegistration,
  type SharedInformer,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { runQueueLoop } from '../common/queue-controller';
import { integerFlag, readIntegerFlag } from '../flags';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './finalizers';
import { OwnershipGraph, type GraphNode, type Identity, type Work } from './graph';

export const CONCURRENT_GC_SYNCS = integerFlag(
  'concurrent-gc-syncs',
  20,
  'objects the garbage collector works on at once',
);

/** Kinds the collector leaves alone (kube-controller-manager's default --gc-ignored-resources). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);
const ABSENT_CACHE_SIZE = 500;

type Policy = NonNullable<DeleteOptions['propagationPolicy']>;

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  private ctx!: ControllerContext;
  private readonly graph = new OwnershipGraph();
  private toDelete!: WorkQueue<string>;
  private toOrphan!: WorkQueue<string>;
  /** Owners known to be absent ("uid"), so dependents of one owner do not look it up each. */
  private readonly absent = new Map<string, true>();

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.toDelete = new WorkQueue<string>({
      name: 'garbage_collector_attempt_to_delete',
      clock: ctx.clock,
      registry: ctx.metrics,
    });
    this.toOrphan = new WorkQueue<string>({
      name: 'garbage_collector_attempt_to_orphan',
      clock: ctx.clock,
      registry: ctx.metrics,
    });
    const informers: SharedInformer<KubeObject>[] = [];
    const handlers: HandlerRegistration[] = [];
    const watched = new Set<string>();
    const watchAll = (): void => {
      for (const info of RESOURCES) {
        // One version per resource, as Kubernetes watches one: every version holds the same objects.
        const key = `${info.group}/${info.plural}`;
        if (watched.has(key)) continue;
        if (IGNORED.has(`${info.group}/${info.plural}`) || !info.verbs.includes('watch')) continue;
        watched.add(key);
        const { informer, handler } = this.watch(info);
        informers.push(informer);
        handlers.push(handler);
      }
    };
    watchAll();
    // Kinds a CustomResourceDefinition adds later are watched from then on (their owners and
    // dependents collected as any); this runs in the master, next to the kind registry.
    const unsubscribe = onKindsChanged(() => {
      if (!signal.aborted) watchAll();
    });
    signal.addEventListener('abort', unsubscribe, { once: true });
    const workers = readIntegerFlag(ctx.flags, CONCURRENT_GC_SYNCS);
    await Promise.all([
      runQueueLoop(ctx, signal, {
        queue: this.toDelete,
        informers,
        handlers,
        workers,
        sync: (uid) => this.attemptToDelete(uid),
      }),
      runQueueLoop(ctx, signal, {
        queue: this.toOrphan,
        informers,
        handlers: [],
        workers,
        sync: (uid) => this.attemptToOrphan(uid),
      }),
    ]);
  }

  private watch(info: ResourceInfo): {
    informer: SharedInformer<KubeObject>;
    handler: HandlerRegistration;
  } {
    const informer = this.ctx.informers.informerFor(info);
    const identityOf = (o: KubeObject): Identity => ({
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      namespace: info.namespaced ? o.metadata.namespace : undefined,
      name: o.metadata.name ?? '',
      uid: o.metadata.uid ?? '',
    });
    const handler = informer.addEventHandler({
      onAdd: (o) => this.schedule(this.graph.observe(identityOf(o), o, undefined)),
      onUpdate: (old, o) => this.schedule(this.graph.observe(identityOf(o), o, old)),
      onDelete: (d) => this.schedule(this.graph.remove(finalStateOf(d).metadata.uid ?? '')),
    });
    return { informer, handler };
  }

  private schedule(work: Work): void {
    for (const n of work.attemptToDelete) this.toDelete.add(n.identity.uid);
    for (const n of work.attemptToOrphan) this.toOrphan.add(n.identity.uid);
  }

  // ---- attempt to delete --------------------------------------------------------------------

  private async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.node(uid);
    if (!node) return;
    if (node.beingDeleted && !node.deletingDependents) return;
    if (node.deletingDependents) return this.processDeletingDependents(node);
    const latest = await this.getLive(node.identity);
    if (!latest || latest.metadata.uid !== uid) {
      // Gone (or replaced by a namesake): what depended on it has lost an owner.
      this.markAbsent(uid);
      this.schedule(this.graph.remove(uid));
      return;
    }
    if (node.virtual) return; // it exists: its informer will report it
    const owners = latest.metadata.ownerReferences ?? [];
    if (owners.length === 0) return;
    const { solid, dangling, waiting } = await this.classify(node, owners);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Keep it, but drop the references that no longer hold (or would keep an owner waiting).
      await this.removeOwnerRefs(
        node,
        [...dangling, ...waiting].map((r) => r.uid),
      );
      return;
    }
    if (waiting.length > 0 && node.dependents.size > 0) {
      if ([...node.dependents].some((d) => d.deletingDependents)) {
        // A cycle of foreground deletions: unblock, or neither side could ever finish.
        await this.unblockOwnerRefs(node, latest);
      }
      return this.deleteObject(node.identity, 'Foreground');
    }
    const finalizers = latest.metadata.finalizers ?? [];
    const policy: Policy = finalizers.includes(ORPHAN_FINALIZER)
      ? 'Orphan'
      : finalizers.includes(FOREGROUND_FINALIZER)
        ? 'Foreground'
        : 'Background';
    this.ctx.log.info('deleting an object whose owners are gone', {
      object: describe(node.identity),
      owners: dangling.map((r) => `${r.kind}/${r.name}`),
      policy,
    });
    return this.deleteObject(node.identity, policy);
  }

  /** A foreground deletion: done (finalizer off) once no dependent blocks it; else push them. */
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      await this.removeFinalizer(node, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.toDelete.add(dep.identity.uid);
  }

  private async classify(node: GraphNode, refs: OwnerReference[]) {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      if (this.absent.has(ref.uid)) {
        dangling.push(ref);
        continue;
      }
      const info = findByKind(ref.apiVersion, ref.kind);
      if (!info) {
        // A kind this server does not serve: it cannot be verified, so it is not collected.
        this.ctx.log.warn('owner of an unknown kind; keeping the dependent', {
          object: describe(node.identity),
          owner: `${ref.apiVersion}/${ref.kind}`,
        });
        solid.push(ref);
        continue;
      }
      if (info.namespaced && !node.identity.namespace) {
        // A cluster-scoped object cannot be owned by a namespaced one.
        dangling.push(ref);
        continue;
      }
      const owner = await this.getLive({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        namespace: info.namespaced ? node.identity.namespace : undefined,
        name: ref.name,
        uid: ref.uid,
      });
      if (!owner || owner.metadata.uid !== ref.uid) {
        this.markAbsent(ref.uid);
        dangling.push(ref);
      } else if (
        owner.metadata.deletionTimestamp &&
        owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)
      ) {
        waiting.push(ref);
      } else {
        solid.push(ref);
      }
    }
    return { solid, dangling, waiting };
  }

  // ---- attempt to orphan --------------------------------------------------------------------

  private async attemptToOrphan(uid: string): Promise<void> {
    const owner = this.graph.node(uid);
    if (!owner) return;
    for (const dep of [...owner.dependents]) await this.removeOwnerRefs(dep, [uid]);
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  // ---- writes ---------------------------------------------------------------------------------

  private resourceOf(id: Identity) {
    const info = findByKind(id.apiVersion, id.kind);
    if (!info) return undefined;
    return {
      info,
      ops: this.ctx.client.resource(info, info.namespaced ? id.namespace : undefined),
    };
  }

  private async getLive(id: Identity): Promise<KubeObject | undefined> {
    const r = this.resourceOf(id);
    if (!r) return undefined;
    if (r.info.namespaced && !id.namespace) return undefined;
    try {
      return await r.ops.get(id.name);
    } catch (err) {
      if (isApiError(err) && err.code === 404) return undefined;
      throw err;
    }
  }

  private async deleteObject(id: Identity, policy: Policy): Promise<void> {
    const r = this.resourceOf(id);
    if (!r) return;
    try {
      await r.ops.delete(id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (err) {
      // Gone already, or a namesake with another uid: nothing of ours to delete.
      if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  /** Strategic-merge deletes of the references to `ownerUids`, with the dependent's uid as precondition. */
  private async removeOwnerRefs(dep: GraphNode, ownerUids: string[]): Promise<void> {
    const r = this.resourceOf(dep.identity);
    if (!r || ownerUids.length === 0) return;
    const patch = {
      metadata: {
        ownerReferences: ownerUids.map((uid) => ({ $patch: 'delete', uid })),
        uid: dep.identity.uid,
      },
    };
    try {
      await r.ops.patch(dep.identity.name, patch, 'strategic');
    } catch (err) {
      if (isApiError(err) && (err.code === 404 || err.code === 422)) return;
      throw err;
    }
  }

  /** Sets blockOwnerDeletion false on the references to owners that wait in the foreground. */
  private async unblockOwnerRefs(node: GraphNode, latest: KubeObject): Promise<void> {
    const r = this.resourceOf(node.identity);
    if (!r) return;
    const refs = (latest.metadata.ownerReferences ?? []).map((ref) =>
      this.graph.node(ref.uid)?.deletingDependents ? { ...ref, blockOwnerDeletion: false } : ref,
    );
    await r.ops.patch(
      node.identity.name,
      { metadata: { ownerReferences: refs, resourceVersion: latest.metadata.resourceVersion } },
      'merge',
    );
  }

  /** Removes one finalizer from the live object, with its resourceVersion as precondition. */
  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const r = this.resourceOf(node.identity);
    if (!r) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.getLive(node.identity);
      if (!latest || latest.metadata.uid !== node.identity.uid) return;
      const finalizers = latest.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      try {
        await r.ops.patch(
          node.identity.name,
          {
            metadata: {
              finalizers: finalizers.filter((f) => f !== finalizer),
              resourceVersion: latest.metadata.resourceVersion,
            },
          },
          'merge',
        );
        return;
      } catch (err) {
        if (isApiError(err) && err.code === 404) return;
        if (!(isApiError(err) && err.code === 409)) throw err;
      }
    }
    throw new Error(
      `could not remove the ${finalizer} finalizer of ${describe(node.identity)}: it kept changing`,
    );
  }

  private markAbsent(uid: string): void {
    this.absent.set(uid, true);
    if (this.absent.size > ABSENT_CACHE_SIZE) this.absent.delete(this.absent.keys().next().value!);
  }
}

function describe(id: Identity): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

export const garbageCollectorFactory: ControllerFactory = {
  name: 'garbagecollector',
  enabledByDefault: true,
  flags: [CONCURRENT_GC_SYNCS],
  create: () => new GarbageCollector(),
};
