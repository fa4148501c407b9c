// The shape every Kubernetes object shares. Objects travel as plain JSON; only metadata is typed.
import { hasOwn } from './own-keys';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of JSON data (objects here never hold functions, dates or cycles). */
export function cloneJson<T>(value: T): T {
  // What a JSON round trip would give (undefined members dropped, in arrays null, non-finite
  // numbers null), without the text in between: a few times faster on every write.
  return value === undefined ? value : (copyJson(value) as T);
}

function copyJson(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v + 0 : null; // + 0: JSON has no -0
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = copyJson(v[i]) ?? null;
        return out;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        return JSON.parse(JSON.stringify(v)) as unknown;
      }
      const out: JsonObject = {};
      for (const k of Object.keys(v)) {
        const c = copyJson((v as JsonObject)[k]);
        if (c === undefined) continue;
        // A "__proto__" member is data here, as JSON.parse makes it, not the prototype.
        if (k === '__proto__')
          Object.defineProperty(out, k, {
            value: c,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else out[k] = c;
      }
      return out;
    }
    default:
      // Functions and symbols vanish as JSON.stringify drops them; a bigint cannot be JSON.
      if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
      return undefined;
  }
}

/** Structural equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ak = Object.keys(a).filter((k) => a[k] !== undefined);
    const bk = Object.keys(b).filter((k) => b[k] !== undefined);
    // Own members only: b["__proto__"] or b["constructor"] would otherwise read Object's own.
    return ak.length === bk.length && ak.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Reads a dotted path ("spec.template.spec") through plain objects; undefined when any hop is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur) || !hasOwn(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}
