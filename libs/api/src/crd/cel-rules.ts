// x-kubernetes-validations: CEL rules on schema nodes, evaluated with `self` bound to the value
// there (and `oldSelf` to the stored value on updates, for transition rules). The evaluator is
// @marcbachmann/cel-js; values are handed over typed by the schema (integers as bigint, as CEL's
// int), so `self.replicas + 1` type-checks as it does in Kubernetes.
import { evaluate, parse } from '@marcbachmann/cel-js';
import { fieldErrors } from '../field-errors';
import { isPlainObject, type JsonObject } from '../object';
import type { StatusCause } from '../status';
import {
  additionalSchema,
  child,
  index,
  itemsSchema,
  type JsonSchema,
  mapKey,
  MAX_SCHEMA_DEPTH,
  propertySchema,
} from './schema-types';
import { jsonTypeOf } from './schema-validation';

interface Rule {
  rule?: unknown;
  message?: unknown;
  messageExpression?: unknown;
  reason?: unknown;
  fieldPath?: unknown;
}

type Program = (context: Record<string, unknown>) => unknown;
const programs = new Map<string, Program>();
/** Compiled rules kept: CRDs are few, but a hostile client could send many distinct rules. */
const MAX_PROGRAMS = 10_000;

function compile(rule: string): Program {
  let p = programs.get(rule);
  if (!p) {
    p = parse(rule) as unknown as Program;
    if (programs.size >= MAX_PROGRAMS) programs.clear();
    programs.set(rule, p);
  }
  return p;
}

const rulesOf = (s: JsonSchema): Rule[] =>
  Array.isArray(s['x-kubernetes-validations'])
    ? (s['x-kubernetes-validations'].filter(isPlainObject) as Rule[])
    : [];

const usesOldSelf = (rule: string) => /\boldSelf\b/.test(rule);

/** Compile errors of the rules in a schema (checked when the CRD is written). */
export function celCompileErrors(root: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const walk = (s: unknown, at: string, depth: number) => {
    if (!isPlainObject(s) || depth > MAX_SCHEMA_DEPTH) return;
    const schema = s as JsonSchema;
    rulesOf(schema).forEach((r, i) => {
      const where = `${at}.x-kubernetes-validations[${i}].rule`;
      if (typeof r.rule !== 'string' || r.rule.trim() === '') {
        out.push(fieldErrors.required(where));
        return;
      }
      try {
        compile(r.rule);
      } catch (e) {
        out.push(fieldErrors.invalid(where, r.rule, `compilation failed: ${firstLine(e)}`));
      }
    });
    if (isPlainObject(schema.properties))
      for (const [k, v] of Object.entries(schema.properties))
        walk(v, `${at}.properties[${k}]`, depth + 1);
    if (isPlainObject(schema.items)) walk(schema.items, `${at}.items`, depth + 1);
    if (isPlainObject(schema.additionalProperties))
      walk(schema.additionalProperties, `${at}.additionalProperties`, depth + 1);
  };
  walk(root, path, 0);
  return out;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** The value as CEL sees it under its schema: integers as int (bigint), maps and lists inside. */
export function toCel(s: JsonSchema | undefined, v: unknown, depth = 0): unknown {
  if (depth > MAX_SCHEMA_DEPTH) return v;
  if (typeof v === 'number') {
    const integer = s?.type === 'integer' || (s?.type === undefined && Number.isInteger(v));
    return integer && Number.isSafeInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => toCel(s ? itemsSchema(s) : undefined, x, depth + 1));
  if (isPlainObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const sub = s ? (propertySchema(s, k) ?? additionalSchema(s)) : undefined;
      out[k] = toCel(sub, x, depth + 1);
    }
    return out;
  }
  return v;
}

/**
 * The failing rules on `value`: the plain ones, or the transition ones (those using oldSelf,
 * which run only where `old` has a value at the same place).
 */
export function celRuleErrors(
  s: JsonSchema,
  value: unknown,
  path: string,
  which: 'plain' | 'transition',
  old?: unknown,
): StatusCause[] {
  const out: StatusCause[] = [];
  walk(s, value, old, path, out, 0, which === 'transition');
  return out;
}

function walk(
  s: JsonSchema,
  v: unknown,
  old: unknown,
  path: string,
  out: StatusCause[],
  depth: number,
  transitions: boolean,
): void {
  if (depth > MAX_SCHEMA_DEPTH || v === undefined || v === null) return;
  for (const r of rulesOf(s)) {
    if (typeof r.rule !== 'string') continue;
    const transition = usesOldSelf(r.rule);
    if (transition !== transitions) continue;
    if (transition && (old === undefined || old === null)) continue;
    const at = typeof r.fieldPath === 'string' && r.fieldPath ? `${path}${r.fieldPath}` : path;
    const context: Record<string, unknown> = { self: toCel(s, v) };
    if (transition) context.oldSelf = toCel(s, old);
    let result: unknown;
    try {
      result = compile(r.rule)(context);
    } catch (e) {
      out.push(
        fieldErrors.invalid(at, jsonTypeOf(v), `${ruleText(r)} evaluation error: ${firstLine(e)}`),
      );
      continue;
    }
    if (result !== true) out.push(failure(r, at, v, context));
  }
  if (Array.isArray(v)) {
    const items = itemsSchema(s);
    if (items)
      v.forEach((x, i) => walk(items, x, undefined, index(path, i), out, depth + 1, transitions));
  } else if (isPlainObject(v)) {
    const additional = additionalSchema(s);
    const prev = isPlainObject(old) ? old : {};
    for (const [k, x] of Object.entries(v)) {
      const prop = propertySchema(s, k);
      if (prop) walk(prop, x, prev[k], child(path, k), out, depth + 1, transitions);
      else if (additional)
        walk(additional, x, prev[k], mapKey(path, k), out, depth + 1, transitions);
    }
  }
}

function ruleText(r: Rule): string {
  return `failed rule: ${String(r.rule)}`;
}

function failure(r: Rule, path: string, v: unknown, context: Record<string, unknown>): StatusCause {
  let message = typeof r.message === 'string' && r.message ? r.message : ruleText(r);
  if (typeof r.messageExpression === 'string' && r.messageExpression) {
    try {
      const m = evaluate(r.messageExpression, context);
      if (typeof m === 'string' && m) message = m;
    } catch {
      // Kubernetes falls back to the static message when the expression fails.
    }
  }
  const type = jsonTypeOf(v);
  switch (r.reason) {
    case 'FieldValueForbidden':
      return fieldErrors.forbidden(path, message);
    case 'FieldValueRequired':
      return fieldErrors.required(path, message);
    case 'FieldValueDuplicate':
      return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${message}`, field: path };
    default:
      return fieldErrors.invalid(path, type, message);
  }
}
