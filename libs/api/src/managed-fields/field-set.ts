// Sets of field paths, and their FieldsV1 wire form (the trie of metadata.managedFields[].fieldsV1).
//
// A path is a list of path elements, each spelled as FieldsV1 spells it:
//   f:<name>   a field of a struct or a key of a map
//   k:<json>   an item of an associative list, by its key fields ({"name":"web"})
//   v:<json>   an item of a set-like list of scalars, by its value
//   i:<n>      an item of a list by position (only read from clients; we never write it)
// A set holds paths as a trie: each node lists which children are members themselves and which
// have members below them. In FieldsV1 a member with nothing below is `{}`, a member with
// members below carries `".": {}` next to them.
import { jsonNestingProblem } from '../nesting';
import { isPlainObject } from '../object';

export type PathElement = string;
export type FieldPath = readonly PathElement[];

/** JSON with object keys sorted, so equal values always spell the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const keyElement = (keys: Record<string, unknown>): PathElement =>
  `k:${canonicalJson(keys)}`;
export const valueElement = (value: unknown): PathElement => `v:${canonicalJson(value)}`;
export const indexElement = (index: number): PathElement => `i:${index}`;

/** A FieldsV1 document the server cannot read. */
export class FieldsV1Error extends Error {}

/** Checks one element and spells it canonically (clients may order key fields differently). */
export function normalizeElement(pe: string): PathElement {
  const kind = pe.slice(0, 2);
  const rest = pe.slice(2);
  switch (kind) {
    case 'f:':
      return pe;
    case 'k:':
    case 'v:': {
      let parsed: unknown;
      try {
        if (jsonNestingProblem(rest)) throw new Error('too deep');
        parsed = JSON.parse(rest);
      } catch {
        throw new FieldsV1Error(`invalid path element ${JSON.stringify(pe)}`);
      }
      if (kind === 'k:' && !isPlainObject(parsed))
        throw new FieldsV1Error(`invalid key in path element ${JSON.stringify(pe)}`);
      return `${kind}${canonicalJson(parsed)}`;
    }
    case 'i:':
      if (!/^(0|[1-9][0-9]*)$/.test(rest))
        throw new FieldsV1Error(`invalid index in path element ${JSON.stringify(pe)}`);
      return pe;
    default:
      throw new FieldsV1Error(`unknown path element ${JSON.stringify(pe)}`);
  }
}

/** Go's %v of a scalar inside a path: strings quoted, the rest as JSON. */
function scalarText(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v);
}

/** One element as Kubernetes prints paths in messages: `.name`, `[name="web"]`, `[="a"]`, `[0]`. */
export function elementText(pe: PathElement): string {
  const rest = pe.slice(2);
  switch (pe.slice(0, 2)) {
    case 'f:':
      return `.${rest}`;
    case 'k:': {
      const keys = JSON.parse(rest) as Record<string, unknown>;
      return `[${Object.keys(keys)
        .sort()
        .map((k) => `${k}=${scalarText(keys[k])}`)
        .join(',')}]`;
    }
    case 'v:':
      return `[=${scalarText(JSON.parse(rest))}]`;
    default:
      return `[${rest}]`;
  }
}

/** A whole path as Kubernetes prints it: `.spec.template.spec.containers[name="web"].image`. */
export function pathText(path: FieldPath): string {
  return path.map(elementText).join('');
}

const KIND_ORDER: Record<string, number> = { 'f:': 0, 'k:': 1, 'v:': 2, 'i:': 3 };

const TYPE_ORDER = ['object', 'boolean', 'number', 'string'];

/** Scalars in Kubernetes' order: by type (null first), numbers by value, strings by text. */
function compareScalars(a: unknown, b: unknown): number {
  const ta = a === null ? -1 : TYPE_ORDER.indexOf(typeof a);
  const tb = b === null ? -1 : TYPE_ORDER.indexOf(typeof b);
  if (ta !== tb) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : canonicalJson(a);
  const sb = typeof b === 'string' ? b : canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Key fields compare name by name, then value by value; fewer fields first. */
function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const na = Object.keys(a).sort();
  const nb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(na.length, nb.length); i++) {
    if (na[i] !== nb[i]) return na[i] < nb[i] ? -1 : 1;
    const c = compareScalars(a[na[i]], b[nb[i]]);
    if (c !== 0) return c;
  }
  return na.length - nb.length;
}

/** The order FieldsV1 lists children in: fields, then keys, values, indices, each by value. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.charCodeAt(0) === 102 && b.charCodeAt(0) === 102) return a < b ? -1 : a > b ? 1 : 0; // f: f:
  const ka = KIND_ORDER[a.slice(0, 2)] ?? 4;
  const kb = KIND_ORDER[b.slice(0, 2)] ?? 4;
  if (ka !== kb) return ka - kb;
  switch (ka) {
    case 1:
      return compareKeys(JSON.parse(a.slice(2)), JSON.parse(b.slice(2)));
    case 2:
      return compareScalars(JSON.parse(a.slice(2)), JSON.parse(b.slice(2)));
    case 3:
      return Number(a.slice(2)) - Number(b.slice(2));
    default:
      return a < b ? -1 : a > b ? 1 : 0;
  }
}

/** An immutable-by-convention set of paths (operations return new sets). */
export class FieldSet {
  // Created on first use: most nodes of a set are leaves, and sets are built on every write.
  /** Children that are members themselves. */
  private m: Set<PathElement> | undefined;
  /** Children with members below them (never empty sets). */
  private c: Map<PathElement, FieldSet> | undefined;

  private get members(): ReadonlySet<PathElement> {
    return this.m ?? NO_MEMBERS;
  }

  private get children(): ReadonlyMap<PathElement, FieldSet> {
    return this.c ?? NO_CHILDREN;
  }

  private addMember(pe: PathElement): void {
    (this.m ??= new Set()).add(pe);
  }

  private setChild(pe: PathElement, set: FieldSet): void {
    (this.c ??= new Map()).set(pe, set);
  }

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds a path (mutates: for building a set). */
  insert(path: FieldPath): this {
    if (path.length > 0) this.insertFrom(path, 0);
    return this;
  }

  private insertFrom(path: FieldPath, i: number): void {
    if (i === path.length - 1) {
      this.addMember(path[i]);
      return;
    }
    let next = this.children.get(path[i]);
    if (!next) {
      next = new FieldSet();
      this.setChild(path[i], next);
    }
    next.insertFrom(path, i + 1);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    const parent = this.at(path.slice(0, -1));
    return !!parent && parent.members.has(path[path.length - 1]);
  }

  /** True when the path itself or anything below it is in the set. */
  hasAtOrBelow(path: FieldPath): boolean {
    if (path.length === 0) return !this.isEmpty();
    if (this.has(path)) return true;
    const node = this.at(path);
    return !!node && !node.isEmpty();
  }

  /** The members below `pe`, relative to it (an empty set when none). */
  child(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? EMPTY;
  }

  isMember(pe: PathElement): boolean {
    return this.members.has(pe);
  }

  /** Elements that are members or have members below them, in FieldsV1 order. */
  elements(): PathElement[] {
    const out = [...this.members];
    for (const pe of this.children.keys()) if (!this.members.has(pe)) out.push(pe);
    return out.sort(compareElements);
  }

  isEmpty(): boolean {
    // Children are never empty sets, so this node alone tells.
    return this.members.size === 0 && this.children.size === 0;
  }

  size(): number {
    let n = this.members.size;
    for (const c of this.children.values()) n += c.size();
    return n;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.addMember(m);
    for (const m of other.members) out.addMember(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      out.setChild(pe, o ? c.union(o) : c.copy());
    }
    for (const [pe, o] of other.children) if (!this.children.has(pe)) out.setChild(pe, o.copy());
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.addMember(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const both = c.intersection(o);
      if (!both.isEmpty()) out.setChild(pe, both);
    }
    return out;
  }

  /** Members of this set that are not members of `other` (paths below a removed member stay). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.addMember(m);
    for (const [pe, c] of this.children) {
      const rest = other.children.has(pe) ? c.difference(other.child(pe)) : c;
      if (!rest.isEmpty()) out.setChild(pe, rest);
    }
    return out;
  }

  /** This set without the given paths and everything below them. */
  withoutPrefix(...paths: FieldPath[]): FieldSet {
    const out = this.copy();
    for (const p of paths) out.cut(p, 0);
    return out;
  }

  /** Removes path[i..] and everything below it, in place (keeps children non-empty). */
  private cut(path: FieldPath, i: number): void {
    if (i >= path.length) return;
    const head = path[i];
    if (i === path.length - 1) {
      this.m?.delete(head);
      this.c?.delete(head);
      return;
    }
    const c = this.children.get(head);
    if (!c) return;
    c.cut(path, i + 1);
    if (c.isEmpty()) this.c?.delete(head);
  }

  /** Only the paths at or below one of `prefixes`. */
  onlyPrefixes(prefixes: FieldPath[]): FieldSet {
    let out = new FieldSet();
    for (const prefix of prefixes) out = out.union(this.restrictTo(prefix));
    return out;
  }

  /** Every member path, in FieldsV1 order. */
  paths(): PathElement[][] {
    const out: PathElement[][] = [];
    const walk = (node: FieldSet, prefix: PathElement[]) => {
      for (const pe of node.elements()) {
        if (node.members.has(pe)) out.push([...prefix, pe]);
        const c = node.children.get(pe);
        if (c) walk(c, [...prefix, pe]);
      }
    };
    walk(this, []);
    return out;
  }

  equals(other: FieldSet): boolean {
    return canonicalJson(this.toFieldsV1()) === canonicalJson(other.toFieldsV1());
  }

  /** The FieldsV1 JSON object. */
  toFieldsV1(): Record<string, unknown> {
    return this.writeInto({});
  }

  private writeInto(out: Record<string, unknown>): Record<string, unknown> {
    for (const pe of this.elements()) {
      const c = this.children.get(pe);
      const inner: Record<string, unknown> = {};
      if (this.members.has(pe) && c) inner['.'] = {};
      out[pe] = c ? c.writeInto(inner) : inner;
    }
    return out;
  }

  /** Reads a FieldsV1 JSON object; throws FieldsV1Error when it is not one. */
  static fromFieldsV1(json: unknown): FieldSet {
    const out = new FieldSet();
    decodeInto(out, json, []);
    return out;
  }

  private at(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this as FieldSet;
    for (let i = 0; node && i < path.length; i++) node = node.children.get(path[i]);
    return node;
  }

  private restrictTo(prefix: FieldPath): FieldSet {
    if (prefix.length === 0) return this.copy();
    const [head, ...tail] = prefix;
    const out = new FieldSet();
    if (tail.length === 0) {
      if (this.members.has(head)) out.addMember(head);
      const c = this.children.get(head);
      if (c) out.setChild(head, c.copy());
      return out;
    }
    const c = this.children.get(head);
    if (!c) return out;
    const inner = c.restrictTo(tail);
    if (!inner.isEmpty()) out.setChild(head, inner);
    return out;
  }

  private copy(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.addMember(m);
    for (const [pe, c] of this.children) out.setChild(pe, c.copy());
    return out;
  }
}

const NO_MEMBERS: ReadonlySet<PathElement> = new Set();
const NO_CHILDREN: ReadonlyMap<PathElement, FieldSet> = new Map();
const EMPTY = new FieldSet();

/** Reads `json` below `prefix` (a stack: pushed and popped as the walk goes). */
function decodeInto(set: FieldSet, json: unknown, prefix: PathElement[]): void {
  if (prefix.length > 256) throw new FieldsV1Error('fieldsV1 is nested too deeply');
  if (!isPlainObject(json)) throw new FieldsV1Error('fieldsV1 must be a JSON object');
  for (const key in json) {
    const value = json[key];
    if (key === '.') {
      if (!isPlainObject(value) || Object.keys(value).length > 0)
        throw new FieldsV1Error('"." must map to an empty object');
      continue;
    }
    const pe = normalizeElement(key);
    if (!isPlainObject(value)) throw new FieldsV1Error(`${key} must map to a JSON object`);
    prefix.push(pe);
    let empty = true;
    for (const k in value) {
      empty = false;
      if (k === '.') set.insert(prefix);
    }
    if (empty) set.insert(prefix);
    else decodeInto(set, value, prefix);
    prefix.pop();
  }
}
