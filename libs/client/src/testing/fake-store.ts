import type { KubeObject } from '@flotilla/api';

export type StoredEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as an MVCC store keeps it for watchers: the object after (or, deleted, the last state). */
export interface StoredEvent {
  revision: number;
  resource: string;
  key: string;
  type: StoredEventType;
  object: KubeObject;
  prev?: KubeObject;
}

/**
 * The data behind the fake API server: objects per resource, one revision counter for them all
 * (as etcd's), and a bounded history of changes. Watches resume from the history; what has
 * fallen out of it is compacted, and asking for it is 410 Expired. Stored objects are frozen;
 * whoever hands them out clones them.
 */
export class FakeStore {
  private rev = 1;
  private compactedRev = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private history: StoredEvent[] = [];

  constructor(private readonly historyLimit: number) {}

  get revision(): number {
    return this.rev;
  }

  /** Changes at or before this revision are gone from the history. */
  get compacted(): number {
    return this.compactedRev;
  }

  nextRevision(): number {
    return ++this.rev;
  }

  get(resource: string, key: string): KubeObject | undefined {
    return this.data.get(resource)?.get(key);
  }

  /** Writes `object` (already carrying `revision` as its resourceVersion) and records the change. */
  put(resource: string, key: string, object: KubeObject, revision: number): StoredEvent {
    const objects = this.objectsOf(resource);
    const prev = objects.get(key);
    const frozen = deepFreeze(object);
    objects.set(key, frozen);
    return this.record({
      revision,
      resource,
      key,
      type: prev ? 'MODIFIED' : 'ADDED',
      object: frozen,
      prev,
    });
  }

  /** Removes the object; the event carries its last state with the deletion's revision. */
  remove(resource: string, key: string, last: KubeObject, revision: number): StoredEvent {
    const objects = this.objectsOf(resource);
    const prev = objects.get(key);
    objects.delete(key);
    return this.record({
      revision,
      resource,
      key,
      type: 'DELETED',
      object: deepFreeze(last),
      prev,
    });
  }

  /** Every change after `revision`, oldest first; undefined when some of them were compacted. */
  since(revision: number): StoredEvent[] | undefined {
    if (revision < this.compactedRev) return undefined;
    const first = this.history.findIndex((e) => e.revision > revision);
    return first < 0 ? [] : this.history.slice(first);
  }

  /** The objects of `resource` as they were at `revision`, sorted by key; undefined when compacted. */
  stateAt(resource: string, revision: number): [string, KubeObject][] | undefined {
    const later = this.since(revision);
    if (!later) return undefined;
    const state = new Map(this.objectsOf(resource));
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i];
      if (e.resource !== resource) continue;
      if (e.prev) state.set(e.key, e.prev);
      else state.delete(e.key);
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Forgets the history up to `revision` (default: all of it), as an etcd compaction does. */
  compact(revision = this.rev): void {
    this.compactedRev = Math.max(this.compactedRev, revision);
    this.history = this.history.filter((e) => e.revision > this.compactedRev);
  }

  private record(event: StoredEvent): StoredEvent {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedRev = Math.max(this.compactedRev, dropped.revision);
    }
    return event;
  }

  private objectsOf(resource: string): Map<string, KubeObject> {
    let objects = this.data.get(resource);
    if (!objects) this.data.set(resource, (objects = new Map()));
    return objects;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
