// What server-side apply needs to know about a position in an object: is it a struct or map whose
// fields are owned one by one, a value owned as a whole (scalars, atomic lists/structs/maps), an
// associative list (items by their key fields) or a set (items by value)? Derived from the field
// model and the strategic-merge metadata the kind modules declare (Definition.lists); where
// Kubernetes declares a list type that differs from its patch strategy (x-kubernetes-list-type,
// -list-map-keys), the definition says so in listTypes. Positions the schema does not model are "deduced": maps granular, lists atomic.
import type { ResourceInfo } from '../catalog';
import { lookup } from '../own-keys';
import { listMeta } from '../patch-meta';
import type { ListType } from '../kinds/kind-module';
import { kindsGeneration } from '../kinds/registry';
import { definitionForKind, definitionNamed } from '../schemas';

export type Shape =
  /** A modelled struct: its fields are known. */
  | { kind: 'struct'; def: string }
  /** The status block of a top-level kind (not modelled, but its condition lists are known). */
  | { kind: 'status'; of: string }
  /** A map with values of one type, each key owned separately. */
  | { kind: 'map'; values: Shape }
  /** Not modelled: objects are granular maps, lists are atomic. */
  | { kind: 'deduced' }
  /** Owned and replaced as a whole: scalars, atomic lists, atomic structs and maps. */
  | { kind: 'atomic' }
  /** x-kubernetes-list-type: map — items identified by their key fields. */
  | { kind: 'list-map'; keys: string[]; defaults: Record<string, unknown>; items: Shape }
  /** x-kubernetes-list-type: set — scalar items identified by value. */
  | { kind: 'list-set' };

export type { ListType } from '../kinds/kind-module';

const ATOMIC: Shape = { kind: 'atomic' };
const DEDUCED: Shape = { kind: 'deduced' };

/** The list type of a field of a definition (or of a kind's status block when `status`). */
export function listTypeOf(owner: string, field: string, status = false): ListType {
  const types = status ? undefined : definitionNamed(owner)?.listTypes;
  const explicit = types ? lookup(types, field) : undefined;
  if (explicit) return explicit;
  const meta = listMeta(status ? { status: owner } : { def: owner }, field);
  if (meta.strategy !== 'merge') return { type: 'atomic' };
  return meta.mergeKey ? { type: 'map', keys: [meta.mergeKey] } : { type: 'set' };
}

export function isAtomicStruct(def: string): boolean {
  return definitionNamed(def)?.atomic === true;
}

export function isAtomicMap(owner: string, field: string): boolean {
  return definitionNamed(owner)?.atomicMaps?.includes(field) === true;
}

function listShape(t: ListType, items: Shape): Shape {
  switch (t.type) {
    case 'atomic':
      return ATOMIC;
    case 'set':
      return { kind: 'list-set' };
    default:
      return { kind: 'list-map', keys: t.keys, defaults: t.defaults ?? {}, items };
  }
}

function typeShape(type: string, owner: string, field: string): Shape {
  if (type.startsWith('[]')) {
    return listShape(listTypeOf(owner, field), typeShape(type.slice(2), owner, field));
  }
  if (type.startsWith('map:')) {
    return isAtomicMap(owner, field)
      ? ATOMIC
      : { kind: 'map', values: typeShape(type.slice(4), owner, field) };
  }
  if (type.startsWith('#')) {
    const def = type.slice(1);
    return isAtomicStruct(def) || !definitionNamed(def) ? ATOMIC : { kind: 'struct', def };
  }
  return type === 'any' ? DEDUCED : ATOMIC;
}

const roots = new Map<string, Shape>();
/** The same, by the (long-lived) resource description itself: no key to build per call. */
let rootsByResource = new WeakMap<object, Shape>();
/** The registry generation the root shapes were worked out for (CRDs change kinds at run time). */
let rootsGeneration = 0;

/** The shape of a whole object of this resource's kind. */
export function rootShape(r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>): Shape {
  if (rootsGeneration !== kindsGeneration()) {
    rootsGeneration = kindsGeneration();
    roots.clear();
    rootsByResource = new WeakMap();
  }
  const known = rootsByResource.get(r);
  if (known) return known;
  const id = `${r.group}/${r.version}/${r.kind}`;
  let shape = roots.get(id);
  if (!shape) {
    const found = definitionForKind(r.group, r.version, r.kind);
    shape = found ? { kind: 'struct', def: found[0] } : DEDUCED;
    roots.set(id, shape);
  }
  rootsByResource.set(r, shape);
  return shape;
}

/** Child shapes already worked out, per parent shape (shapes of structs are cached, so few). */
const children = new WeakMap<Shape, Map<string, Shape>>();

/** The shape of field `key` inside an object at `parent`. */
export function fieldShape(parent: Shape, key: string): Shape {
  if (parent.kind === 'map') return parent.values;
  if (parent.kind !== 'struct' && parent.kind !== 'status') return DEDUCED;
  let known = children.get(parent);
  if (!known) {
    known = new Map();
    children.set(parent, known);
  }
  let shape = known.get(key);
  if (!shape) {
    shape = childShape(parent, key);
    // Keys of a struct are its fields (bounded); unknown keys are not remembered.
    if (shape !== DEDUCED) known.set(key, shape);
  }
  return shape;
}

function childShape(parent: Shape, key: string): Shape {
  switch (parent.kind) {
    case 'struct': {
      const def = definitionNamed(parent.def);
      if (key === 'status' && def?.gvk && def.fields.status === 'any')
        return { kind: 'status', of: parent.def };
      const type = def ? lookup(def.fields, key) : undefined;
      return type === undefined ? DEDUCED : typeShape(type, parent.def, key);
    }
    case 'status': {
      const t = listTypeOf(parent.of, key, true);
      return t.type === 'map' ? listShape(t, DEDUCED) : DEDUCED;
    }
    case 'map':
      return parent.values;
    default:
      return DEDUCED;
  }
}

/** Shapes whose objects have fields owned one by one. */
export function isGranularMap(shape: Shape): boolean {
  return (
    shape.kind === 'struct' ||
    shape.kind === 'status' ||
    shape.kind === 'map' ||
    shape.kind === 'deduced'
  );
}

export function isGranularList(
  shape: Shape,
): shape is Extract<Shape, { kind: 'list-map' | 'list-set' }> {
  return shape.kind === 'list-map' || shape.kind === 'list-set';
}

export function itemShape(shape: Shape): Shape {
  return shape.kind === 'list-map' ? shape.items : ATOMIC;
}
