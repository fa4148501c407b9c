// Kubernetes strategic merge patch: merge keys, $patch (merge/replace/delete), $retainKeys,
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>; null deletes a key.
import type { JsonObject } from './object';
import { cloneJson, isPlainObject, jsonEqual } from './object';
import type { PatchNode } from './patch-meta';
import { childNode, listMeta } from './patch-meta';
import { getOwn, hasOwn, setOwn } from './own-keys';

/** A patch the server cannot use: `status` is the HTTP code Kubernetes answers with (400 or 422). */
export class StrategicMergeError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 422,
  ) {
    super(message);
  }
}

const ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMerge(original: unknown, patch: unknown, node: PatchNode): unknown {
  if (!isPlainObject(patch)) throw new StrategicMergeError('invalid JSON document', 400);
  const result = mergeMap(isPlainObject(original) ? original : {}, patch, node, 0);
  return result ?? {};
}

function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  node: PatchNode,
  depth: number,
): JsonObject | undefined {
  if (depth > 100) throw new StrategicMergeError('patch is nested too deeply', 400);
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return stripDirectives(patch);
    if (directive !== 'merge')
      throw new StrategicMergeError(
        `Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`,
        400,
      );
  }
  const out = cloneJson(original);
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw new StrategicMergeError('invalid patch format for retainKeys', 400);
    }
    for (const key of Object.keys(patch)) {
      if (!key.startsWith('$') && patch[key] !== null && !retain.includes(key)) {
        throw new StrategicMergeError('patch content does not match retainKeys', 422);
      }
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(ORDER) || key.startsWith(DELETE_PRIMITIVE)) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const child = childNode(node, key);
    const current = getOwn(out, key);
    if (Array.isArray(value)) {
      setOwn(out, key, mergeList(current, value, node, key, child, depth));
    } else if (isPlainObject(value)) {
      const merged = mergeMap(isPlainObject(current) ? current : {}, value, child, depth + 1);
      if (merged === undefined) delete out[key];
      else setOwn(out, key, merged);
    } else {
      setOwn(out, key, value);
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_PRIMITIVE))
      deleteFromPrimitiveList(out, key.slice(DELETE_PRIMITIVE.length), value);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(ORDER))
      applyElementOrder(
        out,
        key.slice(ORDER.length),
        value,
        listMeta(node, key.slice(ORDER.length)).mergeKey,
      );
  }
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function stripDirectives(value: unknown): JsonObject {
  const out = cloneJson(value) as JsonObject;
  delete out.$patch;
  return out;
}

function mergeList(
  originalValue: unknown,
  patch: unknown[],
  parent: PatchNode,
  key: string,
  element: PatchNode,
  depth: number,
): unknown[] {
  const meta = listMeta(parent, key);
  const original = Array.isArray(originalValue) ? originalValue : [];
  const replaceDirective = patch.find((p) => isPlainObject(p) && p.$patch === 'replace');
  if (replaceDirective !== undefined) {
    return cloneJson(patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace')));
  }
  if (meta.strategy !== 'merge') {
    return cloneJson(patch.map((p) => (isPlainObject(p) ? stripNested(p) : p)));
  }
  if (!meta.mergeKey) {
    // A set of primitives: keep the original order, append what is new.
    if (patch.some((p) => Array.isArray(p) || isPlainObject(p))) {
      throw new StrategicMergeError('invalid patch format for primitive list', 400);
    }
    const out = cloneJson(original);
    for (const p of patch) if (!out.some((o) => jsonEqual(o, p))) out.push(p);
    return out;
  }
  const mergeKey = meta.mergeKey;
  const out = cloneJson(original) as unknown[];
  for (const item of patch) {
    if (Array.isArray(item)) throw new StrategicMergeError('lists of lists are not supported', 422);
    if (!isPlainObject(item))
      throw new StrategicMergeError(
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
        400,
      );
    if (!hasOwn(item, mergeKey)) {
      throw new StrategicMergeError(
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
        400,
      );
    }
    const index = out.findIndex(
      (o) => isPlainObject(o) && jsonEqual(getOwn(o, mergeKey), item[mergeKey]),
    );
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(out[index] as JsonObject, item, element, depth + 1);
      if (merged === undefined) out.splice(index, 1);
      else out[index] = merged;
    } else {
      const added = mergeMap({}, item, element, depth + 1);
      if (added !== undefined) out.push(added);
    }
  }
  return out;
}

/** Directive keys inside a replaced list element are meaningless; Kubernetes drops them. */
function stripNested(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) setOwn(out, k, v);
  return out;
}

function deleteFromPrimitiveList(out: JsonObject, key: string, values: unknown): void {
  if (!Array.isArray(values))
    throw new StrategicMergeError('invalid patch format for deleteFromPrimitiveList', 400);
  const list = getOwn(out, key);
  if (!Array.isArray(list)) return;
  const kept = list.filter((v) => !values.some((d) => jsonEqual(d, v)));
  if (kept.length === 0) delete out[key];
  else setOwn(out, key, kept);
}

/** Orders the merged list as the patch says; elements the order does not mention keep their place at the end. */
function applyElementOrder(
  out: JsonObject,
  key: string,
  order: unknown,
  mergeKey: string | undefined,
): void {
  if (!Array.isArray(order))
    throw new StrategicMergeError('invalid patch format for setElementOrder list', 400);
  const list = getOwn(out, key);
  if (!Array.isArray(list)) return;
  const identity = (v: unknown): unknown =>
    mergeKey && isPlainObject(v) ? getOwn(v, mergeKey) : v;
  const wanted = order.map(identity);
  const rank = (v: unknown): number => {
    const i = wanted.findIndex((w) => jsonEqual(w, identity(v)));
    return i < 0 ? wanted.length : i;
  };
  setOwn(
    out,
    key,
    list
      .map((v, i) => ({ v, i, r: rank(v) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((e) => e.v),
  );
}
