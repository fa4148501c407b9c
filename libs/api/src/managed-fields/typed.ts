// Objects seen through their shapes: the set of fields an applied configuration names, the fields
// two versions of an object differ in, the merge of a configuration into a live object, and the
// removal of fields. Pure functions on JSON values.
import type { JsonObject } from '../object';
import { cloneJson, isPlainObject, jsonEqual } from '../object';
import { getOwn, hasOwn, setOwn } from '../own-keys';
import type { FieldPath, PathElement } from './field-set';
import {
  compareElements,
  fieldElement,
  FieldSet,
  indexElement,
  keyElement,
  valueElement,
} from './field-set';
import type { Shape } from './shape';
import { fieldShape, isGranularList, isGranularMap, itemShape } from './shape';

/** A configuration server-side apply cannot use (answered with 400). */
export class ApplyShapeError extends Error {
  constructor(
    readonly path: FieldPath,
    detail: string,
  ) {
    super(detail);
  }
}

const MAX_DEPTH = 100;

/**
 * The element naming a list item. For an associative list the item must carry its key fields (or
 * have defaults for them); `lenient` falls back to the position for live data that does not.
 */
export function itemElement(
  shape: Shape,
  item: unknown,
  index: number,
  path: FieldPath,
  lenient: boolean,
): PathElement {
  if (shape.kind === 'list-set') {
    if (isPlainObject(item) || Array.isArray(item)) {
      if (lenient) return indexElement(index);
      throw new ApplyShapeError(path, 'set-like lists may only hold scalars');
    }
    return valueElement(item);
  }
  if (shape.kind !== 'list-map') return indexElement(index);
  if (!isPlainObject(item)) {
    if (lenient) return indexElement(index);
    throw new ApplyShapeError(path, `expected a map as item ${index} of an associative list`);
  }
  const keys: Record<string, unknown> = {};
  for (const k of shape.keys) {
    const v = getOwn(item, k) ?? shape.defaults[k];
    if (v === undefined || v === null) {
      if (lenient) return indexElement(index);
      throw new ApplyShapeError(
        [...path, indexElement(index)],
        `associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`,
      );
    }
    if (isPlainObject(v) || Array.isArray(v)) {
      if (lenient) return indexElement(index);
      throw new ApplyShapeError(path, `key field "${k}" must be a scalar`);
    }
    keys[k] = v;
  }
  return keyElement(keys);
}

/** The items of a granular list by element; the first of duplicates wins, or 400 when strict. */
function indexItems(
  shape: Shape,
  list: unknown[],
  path: FieldPath,
  lenient: boolean,
): { pes: PathElement[]; byPe: Map<PathElement, unknown> } {
  const pes: PathElement[] = [];
  const byPe = new Map<PathElement, unknown>();
  list.forEach((item, i) => {
    const pe = itemElement(shape, item, i, path, lenient);
    if (byPe.has(pe)) {
      if (!lenient) throw new ApplyShapeError(path, `duplicate entries for key ${pe.slice(2)}`);
      pes.push(indexElement(i));
      byPe.set(indexElement(i), item);
      return;
    }
    pes.push(pe);
    byPe.set(pe, item);
  });
  return { pes, byPe };
}

const isEmptyContainer = (v: unknown): boolean =>
  (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);

/**
 * The fields a configuration names, as server-side apply records them for its manager: every
 * scalar and atomic value, every item of an associative list or set (with the fields inside it);
 * an empty object or list is owned as a value.
 */
export function fieldSetOf(value: unknown, shape: Shape): FieldSet {
  const out = new FieldSet();
  collect(value, shape, [], out, 0);
  return out;
}

function collect(value: unknown, shape: Shape, path: PathElement[], out: FieldSet, depth: number) {
  if (depth > MAX_DEPTH) throw new ApplyShapeError(path, 'the configuration is nested too deeply');
  if (isPlainObject(value) && isGranularMap(shape)) {
    if (Object.keys(value).length === 0 && path.length > 0) out.insert(path);
    for (const [k, v] of Object.entries(value)) {
      collect(v, fieldShape(shape, k), [...path, fieldElement(k)], out, depth + 1);
    }
    return;
  }
  if (Array.isArray(value) && isGranularList(shape)) {
    if (value.length === 0) out.insert(path);
    const { pes, byPe } = indexItems(shape, value, path, false);
    for (const pe of pes) {
      out.insert([...path, pe]);
      const item = byPe.get(pe);
      if (shape.kind === 'list-map' && isPlainObject(item)) {
        for (const [k, v] of Object.entries(item)) {
          collect(
            v,
            fieldShape(itemShape(shape), k),
            [...path, pe, fieldElement(k)],
            out,
            depth + 1,
          );
        }
      }
    }
    return;
  }
  if (path.length > 0) out.insert(path);
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * How `rhs` differs from `lhs`, field by field: fields and items that appear (a new object, list
 * or item is itself added, with everything inside it), values that change, and fields that go.
 * Items of associative lists are matched by key; live data lacking keys is matched by position.
 */
export function compareValues(lhs: unknown, rhs: unknown, shape: Shape): Comparison {
  const c: Comparison = {
    added: new FieldSet(),
    modified: new FieldSet(),
    removed: new FieldSet(),
  };
  compareAt(lhs, rhs, shape, [], c);
  return c;
}

/** `path` is a stack the walk pushes to and pops from. */
function compareAt(
  lhs: unknown,
  rhs: unknown,
  shape: Shape,
  path: PathElement[],
  c: Comparison,
): void {
  if (lhs === undefined && rhs === undefined) return;
  if (path.length > MAX_DEPTH) return;
  const mapLike = isGranularMap(shape);
  const listLike = !mapLike && isGranularList(shape);
  let leaf = !mapLike && !listLike;
  if (!leaf) {
    const lOk = lhs === undefined || (mapLike ? isPlainObject(lhs) : Array.isArray(lhs));
    const rOk = rhs === undefined || (mapLike ? isPlainObject(rhs) : Array.isArray(rhs));
    leaf =
      !lOk ||
      !rOk ||
      ((lhs === undefined || isEmptyContainer(lhs)) &&
        (rhs === undefined || isEmptyContainer(rhs)));
  }
  if (leaf) {
    if (path.length === 0) return;
    if (lhs === undefined) c.added.insert(path);
    else if (rhs === undefined) c.removed.insert(path);
    else if (!jsonEqual(lhs, rhs)) c.modified.insert(path);
    return;
  }
  if (mapLike) {
    const l = (lhs ?? {}) as JsonObject;
    const r = (rhs ?? {}) as JsonObject;
    for (const k in l) {
      path.push(fieldElement(k));
      compareAt(l[k], getOwn(r, k), fieldShape(shape, k), path, c);
      path.pop();
    }
    for (const k in r) {
      if (hasOwn(l, k)) continue;
      path.push(fieldElement(k));
      compareAt(undefined, r[k], fieldShape(shape, k), path, c);
      path.pop();
    }
  } else {
    const l = indexItems(shape, (lhs ?? []) as unknown[], path, true);
    const r = indexItems(shape, (rhs ?? []) as unknown[], path, true);
    const items = itemShape(shape);
    for (const pe of l.pes) {
      path.push(pe);
      compareAt(l.byPe.get(pe), r.byPe.get(pe), items, path, c);
      path.pop();
    }
    for (const pe of r.pes) {
      if (l.byPe.has(pe)) continue;
      path.push(pe);
      compareAt(undefined, r.byPe.get(pe), items, path, c);
      path.pop();
    }
  }
  if (path.length === 0) return;
  // A struct field is always there in Kubernetes' typed objects: only maps, lists and list items
  // come and go as a whole.
  const structField =
    (shape.kind === 'struct' || shape.kind === 'status') && path[path.length - 1].startsWith('f:');
  if (structField) return;
  if (lhs === undefined) c.added.insert(path);
  else if (rhs === undefined) c.removed.insert(path);
}

/** A FieldsV1 node: `"."` when the path is a member with members below, then its children. */
type FieldsV1Node = Record<string, unknown>;

/**
 * The FieldsV1 document of compareValues({}, value, shape).added, built in one walk without the
 * intermediate sets: what a create adds is everything the new object holds. Children appear in
 * FieldsV1 order, as FieldSet.toFieldsV1 writes them.
 */
export function addedFieldsV1(value: unknown, shape: Shape): FieldsV1Node {
  return addedBelow(value, shape, undefined, 0) ?? {};
}

/** The node for `value` at a path ending in `pe` (undefined at the root), or undefined if empty. */
function addedBelow(
  value: unknown,
  shape: Shape,
  pe: PathElement | undefined,
  depth: number,
): FieldsV1Node | undefined {
  if (value === undefined || depth > MAX_DEPTH) return undefined;
  const mapLike = isGranularMap(shape);
  const listLike = !mapLike && isGranularList(shape);
  const container = mapLike ? isPlainObject(value) : listLike && Array.isArray(value);
  if (!container || isEmptyContainer(value)) return pe === undefined ? undefined : {};
  const found: [PathElement, FieldsV1Node][] = [];
  if (mapLike) {
    const obj = value as JsonObject;
    for (const k in obj) {
      const child = addedBelow(obj[k], fieldShape(shape, k), fieldElement(k), depth + 1);
      if (child !== undefined) found.push([fieldElement(k), child]);
    }
  } else {
    const { pes, byPe } = indexItems(shape, value as unknown[], [], true);
    const items = itemShape(shape);
    for (const item of pes) {
      const child = addedBelow(byPe.get(item), items, item, depth + 1);
      if (child !== undefined) found.push([item, child]);
    }
  }
  if (pe === undefined) return nodeOf(false, found);
  // A struct field is always there in Kubernetes' typed objects: only maps, lists and list items
  // come and go as a whole.
  const structField = (shape.kind === 'struct' || shape.kind === 'status') && pe.startsWith('f:');
  if (structField && found.length === 0) return undefined;
  return nodeOf(!structField, found);
}

function nodeOf(member: boolean, found: [PathElement, FieldsV1Node][]): FieldsV1Node {
  const out: FieldsV1Node = {};
  if (member && found.length > 0) out['.'] = {};
  if (found.length > 1) found.sort((a, b) => compareElements(a[0], b[0]));
  for (const [pe, child] of found) out[pe] = child;
  return out;
}

/**
 * Merges an applied configuration into a live value: what the configuration sets wins, granular
 * maps merge key by key, associative lists and sets item by item (items the configuration names
 * follow its order; the others keep their places), everything else is replaced. A null in the
 * configuration removes the field.
 */
export function mergeValues(
  live: unknown,
  config: unknown,
  shape: Shape,
  path: FieldPath = [],
): unknown {
  if (path.length > MAX_DEPTH)
    throw new ApplyShapeError(path, 'the configuration is nested too deeply');
  if (isPlainObject(config) && isGranularMap(shape)) {
    const out: JsonObject = isPlainObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) {
        delete out[k];
        continue;
      }
      setOwn(
        out,
        k,
        mergeValues(getOwn(out, k), v, fieldShape(shape, k), [...path, fieldElement(k)]),
      );
    }
    return out;
  }
  if (Array.isArray(config) && isGranularList(shape)) {
    return mergeLists(Array.isArray(live) ? live : [], config, shape, path);
  }
  return cloneJson(config);
}

function mergeLists(live: unknown[], config: unknown[], shape: Shape, path: FieldPath): unknown[] {
  const l = indexItems(shape, live, path, true);
  const c = indexItems(shape, config, path, false);
  const items = itemShape(shape);
  const out: unknown[] = [];
  const merged = (pe: PathElement) =>
    l.byPe.has(pe)
      ? mergeValues(l.byPe.get(pe), c.byPe.get(pe), items, [...path, pe])
      : cloneJson(c.byPe.get(pe));
  let cursor = 0;
  // Live items the configuration does not name keep their places; each slot of a shared item
  // takes the configuration's next shared item, preceded by the new items before it.
  for (const pe of l.pes) {
    if (!c.byPe.has(pe)) {
      out.push(cloneJson(l.byPe.get(pe)));
      continue;
    }
    while (cursor < c.pes.length) {
      const next = c.pes[cursor++];
      out.push(merged(next));
      if (l.byPe.has(next)) break;
    }
  }
  while (cursor < c.pes.length) out.push(merged(c.pes[cursor++]));
  return out;
}

/**
 * Removes the fields and items in `remove` from a value, except where `keep` still needs them: a
 * field stays while `keep` has it or anything below it; a list item stays only while `keep` has
 * the item itself (then its key fields stay too). An object or list that only becomes empty by the
 * removal goes as well.
 */
export function removeFields(
  value: unknown,
  shape: Shape,
  remove: FieldSet,
  keep: FieldSet,
): unknown {
  if (remove.isEmpty()) return value;
  if (isPlainObject(value) && isGranularMap(shape)) {
    const out: JsonObject = { ...value };
    for (const k of Object.keys(value)) {
      const pe = fieldElement(k);
      const gone = remove.isMember(pe) && !keep.hasAtOrBelow([pe]);
      const next = gone ? undefined : pruneBelow(value[k], fieldShape(shape, k), pe, remove, keep);
      if (next === undefined) delete out[k];
      else setOwn(out, k, next);
    }
    return out;
  }
  if (Array.isArray(value) && isGranularList(shape)) {
    const { pes, byPe } = indexItems(shape, value, [], true);
    const out: unknown[] = [];
    for (const pe of pes) {
      const item = byPe.get(pe);
      if (remove.isMember(pe) && !keep.isMember(pe)) continue;
      let next = pruneBelow(item, itemShape(shape), pe, remove, keep);
      if (next === undefined) continue;
      if (shape.kind === 'list-map' && isPlainObject(item) && isPlainObject(next)) {
        const keys = Object.fromEntries(
          shape.keys.filter((key) => hasOwn(item, key)).map((key) => [key, item[key]]),
        );
        next = { ...next, ...keys };
      }
      out.push(next);
    }
    return out;
  }
  return value;
}

function pruneBelow(
  child: unknown,
  shape: Shape,
  pe: PathElement,
  remove: FieldSet,
  keep: FieldSet,
): unknown {
  const below = remove.child(pe);
  if (below.isEmpty()) return child;
  const next = removeFields(child, shape, below, keep.child(pe));
  if (isEmptyContainer(next) && !isEmptyContainer(child) && !keep.isMember(pe)) return undefined;
  return next;
}
