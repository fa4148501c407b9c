import type { KubeObject } from '@flotilla/api';
import { objectKey } from './keys';

/** The values an object is filed under in one index (several, or none). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];
export type Indexers<T extends KubeObject = KubeObject> = Record<string, IndexFunc<T>>;

export const NAMESPACE_INDEX = 'namespace';
export const NODE_NAME_INDEX = 'spec.nodeName';

export const byNamespace: IndexFunc = (obj) => [obj.metadata.namespace ?? ''];

/** Pods by the node they are bound to; unscheduled pods under "". */
export const podsByNodeName: IndexFunc = (obj) => {
  const spec = obj.spec as { nodeName?: unknown } | undefined;
  return [typeof spec?.nodeName === 'string' ? spec.nodeName : ''];
};

/**
 * The informer's cache: objects by key, plus indices from index values to keys. Objects in it are
 * frozen and shared; nothing here copies them.
 */
export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** The index and its function when there is exactly one (the namespace index, usually). */
  private only: { index: Map<string, Set<string>>; fn: IndexFunc<T> } | undefined;

  constructor(indexers: Indexers<T> = {}) {
    this.addIndexers(indexers);
  }

  /** Adds indices (built at once over what is cached). A name already in use must be the same function. */
  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const known = this.indexers.get(name);
      if (known === fn) continue;
      if (known) throw new Error(`indexer "${name}" is already defined with another function`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) for (const v of fn(obj)) fileUnder(index, v, key);
    }
    this.only =
      this.indexers.size === 1
        ? { index: [...this.indices.values()][0], fn: [...this.indexers.values()][0] }
        : undefined;
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects filed under `value` in the index `name`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return [...(index.get(value) ?? [])].map((k) => this.items.get(k)!);
  }

  /** The values the index `name` holds (e.g. every node that has pods). */
  indexValues(name: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return [...index.keys()];
  }

  /** Puts `obj` under its key; returns what was there. An index function that throws changes nothing. */
  put(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    const only = this.only;
    if (only) {
      // The common case (the namespace index only), without the bookkeeping below: this runs on
      // every watch event. The key holds the namespace, so an update never moves an object in
      // the namespace index.
      if (old && only.fn === byNamespace) {
        this.items.set(key, obj);
        return old;
      }
      const now = only.fn(obj);
      const before = old ? only.fn(old) : undefined;
      this.items.set(key, obj);
      this.refile(only.index, key, now, before);
      return old;
    }
    const filed: [Map<string, Set<string>>, string[], string[] | undefined][] = [];
    for (const [name, fn] of this.indexers) {
      filed.push([this.indices.get(name)!, fn(obj), old ? fn(old) : undefined]);
    }
    this.items.set(key, obj);
    for (const [index, now, before] of filed) this.refile(index, key, now, before);
    return old;
  }

  private refile(
    index: Map<string, Set<string>>,
    key: string,
    now: string[],
    before: string[] | undefined,
  ): void {
    if (before) {
      if (sameValues(before, now)) return; // most updates leave an object where it was filed
      for (const v of before) unfile(index, v, key);
    }
    for (const v of now) fileUnder(index, v, key);
  }

  /** Removes the object under `key`; returns it. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(old)) unfile(index, v, key);
    }
    return old;
  }
}

function sameValues(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fileUnder(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}

function unfile(index: Map<string, Set<string>>, value: string, key: string): void {
  const keys = index.get(value);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}
