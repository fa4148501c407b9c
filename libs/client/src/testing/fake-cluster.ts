import {
  apiErrors,
  ApiError,
  apiVersionOf,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  resolveResourceName,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';
import { realClock, sleep, type Clock } from '../clock';
import type { ResourceOps, WatchEvent } from '../contract';
import { FakeResource } from './fake-resource';
import { FakeStore, type StoredEvent } from './fake-store';
import { FakeWatch } from './fake-watch';

export type FakeVerb =
  | 'get'
  | 'list'
  | 'create'
  | 'update'
  | 'updateStatus'
  | 'patch'
  | 'patchStatus'
  | 'delete'
  | 'watch';

export interface FakeCall {
  verb: FakeVerb;
  resource: string;
  namespace: string | undefined;
  client: string;
  at: number;
}

export interface FakeClusterOptions {
  clock?: Clock;
  /** Changes kept for watches to resume from; older ones are compacted (410 Expired). */
  historyLimit?: number;
  /** In [0, 1): generateName suffixes. */
  random?: () => number;
}

interface Fault {
  verb?: FakeVerb;
  resource?: string;
  client?: string;
  error: Error;
  times: number;
}

/** Milliseconds (on the cluster's clock) a call takes to reach the server, and its answer to come back. */
export interface Latency {
  toServer?: () => number;
  toClient?: () => number;
}

interface OpenWatch {
  watch: FakeWatch;
  resource: string;
  namespace: string | undefined;
  matches: (o: KubeObject) => boolean;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The "resource" a ResourceInfo is kept under: group/plural. */
export function resourceId(info: ResourceInfo): string {
  return `${info.group}/${info.plural}`;
}

/**
 * A fake API server for unit tests of control loops: every resource of libs/api's catalog, one
 * revision counter, Kubernetes' create/update/patch/delete rules (via libs/api's strategy),
 * resourceVersion preconditions, list paging at a consistent revision, watches from a revision
 * with a bounded history, bookmarks, and knobs to drop watches, compact history, fail calls or
 * cut a client off. Each `resource(...)` is a ResourceOps view, optionally labelled with a client
 * name so faults can hit one client and not another.
 */
export class FakeCluster {
  readonly clock: Clock;
  readonly store: FakeStore;
  readonly calls: FakeCall[] = [];
  private readonly random: () => number;
  private readonly watches = new Set<OpenWatch>();
  private faults: Fault[] = [];
  private readonly partitioned = new Map<string, 'fail' | 'hang'>();
  private hung: { reject: (err: Error) => void; client: string }[] = [];
  private readonly latency = new Map<string, Latency>();
  private uidCounter = 0;

  constructor(opts: FakeClusterOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.store = new FakeStore(opts.historyLimit ?? 1000);
    this.random = opts.random ?? Math.random;
  }

  /** The current revision, as a list would report it. */
  get revision(): number {
    return this.store.revision;
  }

  /** A ResourceOps over one resource (by ResourceInfo or a name kubectl would accept). */
  resource<T extends KubeObject = KubeObject>(
    what: ResourceInfo | string,
    namespace?: string,
    opts: { client?: string } = {},
  ): ResourceOps<T> {
    const info = typeof what === 'string' ? resolveResourceName(what) : what;
    if (!info) throw new Error(`fake cluster: no resource "${String(what)}" in the catalog`);
    return new FakeResource<T>(
      this,
      info,
      info.namespaced ? namespace : undefined,
      opts.client ?? 'default',
    );
  }

  // ---- faults ------------------------------------------------------------------------------------

  /** The next `times` matching calls fail with `error` (an ApiError to answer as the server would). */
  failNext(
    error: Error,
    match: { verb?: FakeVerb; resource?: string; client?: string; times?: number } = {},
  ): void {
    this.faults.push({ ...match, error, times: match.times ?? 1 });
  }

  /**
   * Cuts `client` off: its calls fail at once ('fail') or never answer until healed ('hang'), and
   * its open watches break. Nothing it sends in the meantime reaches the store.
   */
  partition(client: string, mode: 'fail' | 'hang' = 'fail'): void {
    this.partitioned.set(client, mode);
    for (const w of [...this.watches]) {
      if (w.watch.client === client) w.watch.fail(connectionError(client));
    }
  }

  heal(client: string): void {
    this.partitioned.delete(client);
    const stuck = this.hung.filter((h) => h.client === client);
    this.hung = this.hung.filter((h) => h.client !== client);
    for (const h of stuck) h.reject(connectionError(client));
  }

  /** Makes `client`'s calls slow: each waits toServer() ms before it is applied and toClient() ms after. */
  setLatency(client: string, latency: Latency | undefined): void {
    if (latency) this.latency.set(client, latency);
    else this.latency.delete(client);
  }

  /** Ends every open watch (of one resource, or all): cleanly, or broken with `error`. */
  dropWatches(opts: { resource?: ResourceInfo | string; error?: Error } = {}): number {
    const only = opts.resource === undefined ? undefined : this.idOf(opts.resource);
    let n = 0;
    for (const w of [...this.watches]) {
      if (only !== undefined && w.resource !== only) continue;
      if (opts.error) w.watch.fail(opts.error);
      else w.watch.close();
      n++;
    }
    return n;
  }

  /** Sends a BOOKMARK at the current revision to every watch that allowed bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watches) {
      if (!w.watch.allowBookmarks) continue;
      const info = this.infoOf(w.resource);
      w.watch.push({
        type: 'BOOKMARK',
        object: {
          apiVersion: apiVersionOf(info),
          kind: info.kind,
          metadata: { resourceVersion: String(this.store.revision) },
        },
      });
    }
  }

  /** Forgets the change history up to `revision` (default: all): older watches and continues get 410. */
  compact(revision?: number): void {
    this.store.compact(revision);
  }

  /** Open watches, of one resource or all. */
  openWatches(resource?: ResourceInfo | string): number {
    const only = resource === undefined ? undefined : this.idOf(resource);
    return [...this.watches].filter((w) => only === undefined || w.resource === only).length;
  }

  /** Calls made so far, optionally only of one verb (and resource). */
  callCount(verb: FakeVerb, resource?: ResourceInfo | string): number {
    const only = resource === undefined ? undefined : this.idOf(resource);
    return this.calls.filter((c) => c.verb === verb && (only === undefined || c.resource === only))
      .length;
  }

  // ---- used by FakeResource ----------------------------------------------------------------------

  /** Records the call and applies faults; resolves when the call may go on. */
  async admit(
    verb: FakeVerb,
    info: ResourceInfo,
    namespace: string | undefined,
    client: string,
  ): Promise<void> {
    this.calls.push({ verb, resource: resourceId(info), namespace, client, at: this.clock.now() });
    await Promise.resolve(); // every call answers on a later turn, as over a socket
    const toServer = this.latency.get(client)?.toServer?.() ?? 0;
    if (toServer > 0) await sleep(this.clock, toServer);
    const mode = this.partitioned.get(client);
    if (mode === 'fail') throw connectionError(client);
    if (mode === 'hang') {
      await new Promise<void>((_resolve, reject) => this.hung.push({ reject, client }));
    }
    const i = this.faults.findIndex(
      (f) =>
        (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined ||
          f.resource === resourceId(info) ||
          f.resource === info.plural) &&
        (f.client === undefined || f.client === client),
    );
    if (i >= 0) {
      const f = this.faults[i];
      if (--f.times <= 0) this.faults.splice(i, 1);
      throw f.error;
    }
  }

  /** The way back of a call: its answer arrives after the client's latency (and not at all while cut off). */
  async answer(client: string): Promise<void> {
    const toClient = this.latency.get(client)?.toClient?.() ?? 0;
    if (toClient > 0) await sleep(this.clock, toClient);
    const mode = this.partitioned.get(client);
    if (mode === 'fail') throw connectionError(client);
    if (mode === 'hang')
      await new Promise<void>((_resolve, reject) => this.hung.push({ reject, client }));
  }

  newUid(): string {
    const n = ++this.uidCounter;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++)
      s += SUFFIX_ALPHABET[Math.floor(this.random() * SUFFIX_ALPHABET.length)];
    return s;
  }

  /** Tells the open watches of the changed resource, as the watch cache would. */
  publish(event: StoredEvent): void {
    for (const w of this.watches) {
      if (w.resource !== event.resource) continue;
      const e = toWatchEvent(event, w);
      if (e) w.watch.push(e);
    }
  }

  openWatch(
    info: ResourceInfo,
    namespace: string | undefined,
    client: string,
    opts: {
      labelSelector?: string;
      fieldSelector?: string;
      resourceVersion?: string;
      allowWatchBookmarks?: boolean;
    },
    onEvent: (e: WatchEvent) => void,
  ): FakeWatch {
    // A watch admitted just before its client was cut off must not open after it.
    if (this.partitioned.has(client)) throw connectionError(client);
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '', info);
    const matches = (o: KubeObject) =>
      (namespace === undefined || o.metadata.namespace === namespace) &&
      matchesLabels(labels, o.metadata.labels) &&
      matchesFields(fields, o);
    const rv = parseResourceVersion(opts.resourceVersion);
    const entry: OpenWatch = {
      resource: resourceId(info),
      namespace,
      matches,
      watch: undefined as unknown as FakeWatch,
    };
    entry.watch = new FakeWatch(
      onEvent,
      () => this.watches.delete(entry),
      client,
      opts.allowWatchBookmarks === true,
    );
    if (rv === undefined) {
      // No version (or "0"): the current state as ADDED events, then what follows.
      const state = this.store.stateAt(entry.resource, this.store.revision) ?? [];
      for (const [, o] of state)
        if (matches(o)) entry.watch.push({ type: 'ADDED', object: clone(o) });
      this.watches.add(entry);
      return entry.watch;
    }
    const later = this.store.since(rv);
    if (!later) {
      entry.watch.push({
        type: 'ERROR',
        object: tooOld(rv, this.store.compacted).status as unknown as KubeObject,
      });
      entry.watch.close();
      return entry.watch;
    }
    for (const e of later) {
      if (e.resource !== entry.resource) continue;
      const we = toWatchEvent(e, entry);
      if (we) entry.watch.push(we);
    }
    this.watches.add(entry);
    return entry.watch;
  }

  infoOf(id: string): ResourceInfo {
    const slash = id.indexOf('/');
    const group = id.slice(0, slash);
    const plural = id.slice(slash + 1);
    const info = resolveResourceName(group ? `${plural}.${group}` : plural);
    if (!info) throw new Error(`fake cluster: unknown resource ${id}`);
    return info;
  }

  private idOf(what: ResourceInfo | string): string {
    if (typeof what !== 'string') return resourceId(what);
    const info = resolveResourceName(what);
    if (!info) throw new Error(`fake cluster: no resource "${what}" in the catalog`);
    return resourceId(info);
  }
}

function connectionError(client: string): Error {
  return new Error(`connect ECONNREFUSED: fake cluster cut off client "${client}"`);
}

/** "" and "0" start from the current state; anything else must be a revision. */
export function parseResourceVersion(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === '0') return undefined;
  if (!/^\d+$/.test(text))
    throw apiErrors.badRequest(`resourceVersion: Invalid value: "${text}": must be a number`);
  return Number(text);
}

export function tooOld(requested: number, compacted: number): ApiError {
  return apiErrors.gone(`too old resource version: ${requested} (${compacted + 1})`);
}

export function clone<T>(o: T): T {
  return structuredClone(o);
}

/** What one watcher sees of a change, with selectors applied as the watch cache applies them. */
function toWatchEvent(e: StoredEvent, w: OpenWatch): WatchEvent | undefined {
  const now = w.matches(e.object);
  const before = e.prev !== undefined && w.matches(e.prev);
  if (e.type === 'DELETED')
    return before || now ? { type: 'DELETED', object: clone(e.object) } : undefined;
  if (e.type === 'ADDED') return now ? { type: 'ADDED', object: clone(e.object) } : undefined;
  if (now && before) return { type: 'MODIFIED', object: clone(e.object) };
  if (now) return { type: 'ADDED', object: clone(e.object) };
  if (before) {
    // It left the selection: the watcher sees it deleted, in its last matching state.
    const last = clone(e.prev!);
    last.metadata = { ...last.metadata, resourceVersion: String(e.revision) };
    return { type: 'DELETED', object: last };
  }
  return undefined;
}
