// Pruning and defaulting of custom objects by their structural schema, in place, as Kubernetes
// does on every create and update: fields the schema does not specify are dropped (unless
// x-kubernetes-preserve-unknown-fields), then defaults fill what is absent.
import { cloneJson, isPlainObject, type JsonObject } from '../object';
import {
  additionalSchema,
  itemsSchema,
  type JsonSchema,
  MAX_SCHEMA_DEPTH,
  preservesUnknown,
  propertySchema,
} from './schema-types';

/** Fields every object (and every embedded resource) keeps whatever the schema says. */
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata'];

/** Drops the fields of `value` that `s` does not specify; returns the paths it dropped. */
export function prune(s: JsonSchema, value: unknown, isRoot = true): string[] {
  const dropped: string[] = [];
  pruneWalk(s, value, '', dropped, isRoot, 0);
  return dropped;
}

function pruneWalk(
  s: JsonSchema,
  v: unknown,
  path: string,
  dropped: string[],
  keepObjectFields: boolean,
  depth: number,
): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (Array.isArray(v)) {
    const items = itemsSchema(s);
    if (items) v.forEach((x, i) => pruneWalk(items, x, `${path}[${i}]`, dropped, false, depth + 1));
    return;
  }
  if (!isPlainObject(v)) return;
  const additional = additionalSchema(s);
  const keep = keepObjectFields || s['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(v)) {
    const at = path ? `${path}.${key}` : key;
    const prop = propertySchema(s, key);
    if (prop) pruneWalk(prop, v[key], at, dropped, false, depth + 1);
    else if (additional) pruneWalk(additional, v[key], at, dropped, false, depth + 1);
    else if (keep && OBJECT_FIELDS.includes(key)) continue;
    else if (!preservesUnknown(s) && s.additionalProperties !== true) {
      delete v[key];
      dropped.push(at);
    }
  }
}

/** Fills absent fields with their schema defaults (and drops nulls of non-nullable fields). */
export function applyDefaults(s: JsonSchema, value: unknown): void {
  defaultWalk(s, value, 0);
}

function defaultWalk(s: JsonSchema, v: unknown, depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (Array.isArray(v)) {
    const items = itemsSchema(s);
    if (items) for (const x of v) defaultWalk(items, x, depth + 1);
    return;
  }
  if (!isPlainObject(v)) return;
  const props = isPlainObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
  for (const [key, prop] of Object.entries(props)) {
    if (!isPlainObject(prop)) continue;
    if (v[key] === null && prop.nullable !== true) delete v[key];
    if (v[key] === undefined && prop.default !== undefined) setOwn(v, key, cloneJson(prop.default));
  }
  const additional = additionalSchema(s);
  for (const [key, x] of Object.entries(v)) {
    const prop = propertySchema(s, key) ?? additional;
    if (prop) defaultWalk(prop, x, depth + 1);
  }
}

function setOwn(o: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
