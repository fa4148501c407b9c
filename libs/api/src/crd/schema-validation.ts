// Validation of a custom object against its version's structural schema, with one cause per field
// worded as Kubernetes' apiextensions validation words it ("spec.replicas in body should be
// greater than or equal to 0").
import { fieldErrors, formatBadValue } from '../field-errors';
import { isPlainObject, jsonEqual } from '../object';
import type { StatusCause } from '../status';
import { checkFormat } from './schema-formats';
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

/** The JSON type of a value as OpenAPI names it. */
export function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeInvalid(path: string, actual: string, wanted: string): StatusCause {
  return {
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${formatBadValue(actual)}: ${path} in body must be of type ${wanted}: ${formatBadValue(actual)}`,
    field: path,
  };
}

function tooMany(path: string, actual: number, max: number): StatusCause {
  return {
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${max} items`,
    field: path,
  };
}

function typeMatches(wanted: string, v: unknown): boolean {
  const actual = jsonTypeOf(v);
  if (wanted === 'number') return actual === 'number' || actual === 'integer';
  return actual === wanted;
}

/** Every problem of `value` at `path` under schema `s`. */
export function validateValue(s: JsonSchema, value: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  walk(s, value, path, out, 0);
  return out;
}

function walk(s: JsonSchema, v: unknown, path: string, out: StatusCause[], depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (v === null) {
    if (s.nullable === true) return;
    if (s.type) out.push(typeInvalid(path, 'null', s.type));
    return;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      out.push(typeInvalid(path, jsonTypeOf(v), 'integer,string'));
      return;
    }
  } else if (s.type && !typeMatches(s.type, v)) {
    out.push(typeInvalid(path, jsonTypeOf(v), s.type));
    return;
  }
  const before = out.length;
  checkValue(s, v, path, out);
  if (out.length > before) return;
  combinators(s, v, path, out, depth);

  if (Array.isArray(v)) {
    const items = itemsSchema(s);
    if (items) v.forEach((item, i) => walk(items, item, index(path, i), out, depth + 1));
    checkListType(s, v, path, out);
  } else if (isPlainObject(v)) {
    for (const key of s.required ?? []) {
      if (typeof key === 'string' && v[key] === undefined)
        out.push(fieldErrors.required(child(path, key)));
    }
    const additional = additionalSchema(s);
    for (const [key, value] of Object.entries(v)) {
      const prop = propertySchema(s, key);
      if (prop) walk(prop, value, child(path, key), out, depth + 1);
      else if (additional) walk(additional, value, mapKey(path, key), out, depth + 1);
    }
    if (s['x-kubernetes-embedded-resource'] === true) {
      for (const key of ['apiVersion', 'kind']) {
        if (typeof v[key] !== 'string' || v[key] === '')
          out.push(fieldErrors.required(child(path, key), 'must not be empty'));
      }
    }
  }
}

/** enum, bounds, lengths, pattern, format: the checks on the value itself. */
function checkValue(s: JsonSchema, v: unknown, path: string, out: StatusCause[]): void {
  if (Array.isArray(s.enum) && !s.enum.some((e) => jsonEqual(e, v))) {
    out.push(
      fieldErrors.notSupported(
        path,
        v,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof v === 'number') checkNumber(s, v, path, out);
  if (typeof v === 'string') checkString(s, v, path, out);
  if (Array.isArray(v)) {
    if (typeof s.maxItems === 'number' && v.length > s.maxItems)
      out.push(tooMany(path, v.length, s.maxItems));
    if (typeof s.minItems === 'number' && v.length < s.minItems)
      out.push(
        fieldErrors.invalid(
          path,
          v.length,
          `${path} in body should have at least ${s.minItems} items`,
        ),
      );
  }
  if (isPlainObject(v)) {
    const n = Object.keys(v).length;
    if (typeof s.maxProperties === 'number' && n > s.maxProperties)
      out.push(tooMany(path, n, s.maxProperties));
    if (typeof s.minProperties === 'number' && n < s.minProperties)
      out.push(
        fieldErrors.invalid(
          path,
          n,
          `${path} in body should have at least ${s.minProperties} properties`,
        ),
      );
  }
}

function checkNumber(s: JsonSchema, v: number, path: string, out: StatusCause[]): void {
  if (typeof s.minimum === 'number') {
    if (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum) {
      const rel = s.exclusiveMinimum === true ? 'greater than' : 'greater than or equal to';
      out.push(fieldErrors.invalid(path, v, `${path} in body should be ${rel} ${s.minimum}`));
    }
  }
  if (typeof s.maximum === 'number') {
    if (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum) {
      const rel = s.exclusiveMaximum === true ? 'less than' : 'less than or equal to';
      out.push(fieldErrors.invalid(path, v, `${path} in body should be ${rel} ${s.maximum}`));
    }
  }
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const q = v / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9)
      out.push(
        fieldErrors.invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`),
      );
  }
  if (s.format && !checkFormat(s.format, v)) {
    out.push(fieldErrors.invalid(path, v, `${path} in body must be of type ${s.format}: "${v}"`));
  }
}

function checkString(s: JsonSchema, v: string, path: string, out: StatusCause[]): void {
  const length = [...v].length;
  if (typeof s.maxLength === 'number' && length > s.maxLength) {
    out.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${s.maxLength} bytes`,
      field: path,
    });
  }
  if (typeof s.minLength === 'number' && length < s.minLength) {
    out.push(
      fieldErrors.invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`),
    );
  }
  if (typeof s.pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern, 'u');
    } catch {
      re = undefined; // rejected when the CRD was written; nothing to match against here
    }
    if (re && !re.test(v))
      out.push(fieldErrors.invalid(path, v, `${path} in body should match '${s.pattern}'`));
  }
  if (s.format && !checkFormat(s.format, v)) {
    out.push(fieldErrors.invalid(path, v, `${path} in body must be of type ${s.format}: "${v}"`));
  }
}

function combinators(
  s: JsonSchema,
  v: unknown,
  path: string,
  out: StatusCause[],
  depth: number,
): void {
  const passes = (sub: JsonSchema): boolean => {
    const errs: StatusCause[] = [];
    walk(sub, v, path, errs, depth + 1);
    return errs.length === 0;
  };
  for (const sub of Array.isArray(s.allOf) ? s.allOf : []) {
    if (isPlainObject(sub)) walk(sub, v, path, out, depth + 1);
  }
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0 && !s.anyOf.some((x) => passes(x))) {
    out.push(
      fieldErrors.invalid(path, v, `${path} in body must validate at least one schema (anyOf)`),
    );
  }
  if (Array.isArray(s.oneOf) && s.oneOf.length > 0) {
    const n = s.oneOf.filter((x) => passes(x)).length;
    if (n !== 1)
      out.push(
        fieldErrors.invalid(
          path,
          v,
          `${path} in body must validate one and only one schema (oneOf)`,
        ),
      );
  }
  if (isPlainObject(s.not) && passes(s.not)) {
    out.push(fieldErrors.invalid(path, v, `${path} in body must not validate the schema (not)`));
  }
}

/** x-kubernetes-list-type set: no duplicates; map: no two items with the same keys. */
function checkListType(s: JsonSchema, v: unknown[], path: string, out: StatusCause[]): void {
  const type = s['x-kubernetes-list-type'];
  if (type === 'set') {
    for (let i = 0; i < v.length; i++) {
      if (v.slice(0, i).some((x) => jsonEqual(x, v[i])))
        out.push(fieldErrors.duplicate(index(path, i), v[i]));
    }
  } else if (type === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen: unknown[] = [];
    v.forEach((item, i) => {
      if (!isPlainObject(item)) return;
      const key = Object.fromEntries(keys.map((k) => [k, item[k]]));
      if (seen.some((x) => jsonEqual(x, key))) out.push(fieldErrors.duplicate(index(path, i), key));
      seen.push(key);
    });
  }
}
