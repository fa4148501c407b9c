// The CRD controller every master runs inside its API server: it follows CustomResourceDefinitions
// through this master's watch cache (so all masters follow the same stored objects, also after a
// restart), decides their names and conditions, serves the resources of Established ones by
// registering their kinds, and on deletion removes every object before letting the CRD go.
import {
  ApiError,
  CRD_CLEANUP_FINALIZER,
  crdNamesStatus,
  customKindModules,
  customResourceDefinitionKind,
  isEstablished,
  type KindModule,
  type KubeObject,
  type ResourceInfo,
  registerKind,
  sameStatus,
  servedResources,
  unregisterKind,
} from '@flotilla/api';
import type { ObjectRegistry } from '../registry/object-registry';
import type { ObjectStore } from '../storage/object-store';
import { listPrefix } from '../storage/key-layout';
import type { WatchCaches } from '../watch/watch-caches';
import type { ApiWatch } from '../watch/watch-event';

export interface CrdControllerDeps {
  registry: ObjectRegistry;
  store: ObjectStore;
  caches: WatchCaches;
  clock: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const CRDS = customResourceDefinitionKind.resource;
const WRITE = { dryRun: false, fieldValidation: 'Ignore' as const };
/** How long a failed sync waits before it is tried again (doubling up to the maximum). */
const RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;
/** Objects deleted per cleanup round of one CRD. */
const CLEANUP_BATCH = 500;

export class CrdController {
  private readonly crds = new Map<string, KubeObject>();
  /** The kinds each CRD has registered, by CRD name: group/version/kind. */
  private readonly served = new Map<string, { group: string; version: string; kind: string }[]>();
  /** One resource of each CRD served (its storage prefix), for dropping its caches. */
  private readonly servedResources = new Map<string, ResourceInfo>();
  private readonly queue = new Set<string>();
  private readonly failures = new Map<string, number>();
  private running = false;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private watch: ApiWatch | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private synced: Promise<void>;
  private markSynced!: () => void;

  constructor(private readonly d: CrdControllerDeps) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Resolves once the CRDs stored when it started have been seen (and served if Established). */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  start(): void {
    void this.follow(0);
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Watches CRDs from the cache: first every stored one (ADDED), then changes; restarts on end. */
  private async follow(attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      const cache = this.d.caches.for(CRDS);
      await cache.start();
      const w = cache.watch({
        keyPrefix: listPrefix(CRDS),
        matches: () => true,
        bookmark: () => ({}),
      });
      if (!w) throw new Error('the CRD watch cache refused a watch from now');
      this.watch = w;
      // The initial ADDED events are queued synchronously by watch(); the rest follow.
      const initial = cache.snapshot(listPrefix(CRDS), () => true).items;
      this.crds.clear();
      for (const crd of initial) this.crds.set(crd.metadata.name!, crd);
      attempt = 0;
      // Served ones that vanished while no watch ran are synced too (and stop being served).
      for (const name of new Set([...this.crds.keys(), ...this.served.keys()])) this.enqueue(name);
      void this.idle().then(() => this.markSynced());
      for await (const e of w) {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') continue;
        const crd = e.object as KubeObject;
        const name = crd.metadata.name!;
        if (e.type === 'DELETED') this.crds.delete(name);
        else this.crds.set(name, crd);
        // A name decision depends on the others of the group: look at them all again.
        for (const other of this.crds.keys()) this.enqueue(other);
        this.enqueue(name);
      }
    } catch (err) {
      this.d.log?.('CRD watch failed; restarting', { error: String(err) });
    }
    if (!this.stopped)
      this.later(
        () => void this.follow(attempt + 1),
        Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** attempt),
      );
  }

  private enqueue(name: string): void {
    this.queue.add(name);
    if (!this.running) this.draining = this.drain();
  }

  /** Resolves when the queue is empty (retries scheduled for later do not count). */
  private async idle(): Promise<void> {
    while (this.running && this.draining) await this.draining;
  }

  /** One sync at a time, in arrival order. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.size > 0 && !this.stopped) {
        const name = this.queue.values().next().value as string;
        this.queue.delete(name);
        try {
          await this.sync(name);
          this.failures.delete(name);
        } catch (err) {
          const n = (this.failures.get(name) ?? 0) + 1;
          this.failures.set(name, n);
          if (!(err instanceof ApiError && err.code === 409))
            this.d.log?.('CRD sync failed; retrying', { crd: name, error: String(err) });
          this.later(() => this.enqueue(name), Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** n));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async sync(name: string): Promise<void> {
    const crd = this.crds.get(name);
    if (!crd) {
      const gone = this.servedResources.get(name);
      this.serve(name, []);
      // Watches of a deleted CRD's resource end, as in Kubernetes.
      if (gone) this.d.caches.drop(gone);
      this.servedResources.delete(name);
      return;
    }
    const builtins = servedResources().filter((r) => !r.custom);
    const status = crdNamesStatus(
      crd,
      [...this.crds.values()],
      builtins,
      this.d
        .clock()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    );
    if (!sameStatus(status, crd.status)) {
      // Every master may write the same decision; a conflict means another did (or a newer one).
      await this.d.registry.update(CRDS, undefined, name, { ...crd, status }, WRITE, 'status');
      return; // the watch brings the written status back
    }
    this.serve(name, isEstablished(crd) ? customKindModules(crd) : []);
    if (crd.metadata.deletionTimestamp) await this.cleanUp(crd);
  }

  /** Registers `modules` as CRD `name`'s kinds and unregisters the ones it served before. */
  private serve(name: string, modules: KindModule[]): void {
    const next = modules.map((m) => ({
      group: m.resource.group,
      version: m.resource.version,
      kind: m.resource.kind,
    }));
    for (const old of this.served.get(name) ?? []) {
      const kept = next.some(
        (n) => n.group === old.group && n.version === old.version && n.kind === old.kind,
      );
      if (!kept) unregisterKind(old.group, old.version, old.kind);
    }
    for (const m of modules) registerKind(m);
    if (modules[0]) this.servedResources.set(name, modules[0].resource);
    if (next.length > 0) this.served.set(name, next);
    else this.served.delete(name);
  }

  /** Deletes the CRD's objects; once none is left, drops the finalizer so the CRD goes. */
  private async cleanUp(crd: KubeObject): Promise<void> {
    const finalizers = crd.metadata.finalizers ?? [];
    if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) return;
    const resources = customKindModules(crd).map((m) => m.resource);
    const r = resources[0];
    if (r) {
      const page = await this.d.store.for(r).list(listPrefix(r), { limit: CLEANUP_BATCH });
      for (const o of page.items) {
        try {
          await this.d.registry.delete(r, o.metadata.namespace, o.metadata.name!, {
            propagationPolicy: 'Background',
          });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      const left = await this.d.store.for(r).list(listPrefix(r), { limit: 1 });
      if (left.items.length > 0) {
        // Objects with finalizers of their own go when their controllers let them.
        this.later(() => this.enqueue(crd.metadata.name!), 1_000);
        return;
      }
    }
    const next = {
      ...crd,
      metadata: {
        ...crd.metadata,
        finalizers: finalizers.filter((f) => f !== CRD_CLEANUP_FINALIZER),
      },
    };
    await this.d.registry.update(CRDS, undefined, crd.metadata.name!, next, WRITE);
  }
}
