// The structural schema rules of apiextensions.k8s.io/v1: every specified field has a type (or is
// int-or-string / preserves unknown fields), properties and additionalProperties exclude each other,
// arrays have items, value validations (allOf/anyOf/oneOf/not) add no types or defaults, defaults
// and patterns are valid. Causes are worded and placed as Kubernetes places them.
import { fieldErrors } from '../field-errors';
import { isPlainObject } from '../object';
import type { StatusCause } from '../status';
import { applyDefaults, prune } from './schema-pruning';
import { type JsonSchema, MAX_SCHEMA_DEPTH } from './schema-types';
import { validateValue } from './schema-validation';

const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];
const LIST_TYPES = ['atomic', 'set', 'map'];
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;

export function validateStructural(root: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!isPlainObject(root)) {
    out.push(fieldErrors.required(path, 'schemas are required'));
    return out;
  }
  if (root.type !== 'object') {
    out.push(fieldErrors.invalid(`${path}.type`, root.type ?? '', 'must be object at the root'));
  }
  const props = isPlainObject(root.properties) ? root.properties : {};
  const meta = props.metadata;
  if (isPlainObject(meta) && isPlainObject(meta.properties)) {
    const extra = Object.keys(meta.properties).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length > 0 || meta.type !== 'object') {
      out.push(
        fieldErrors.forbidden(
          `${path}.properties[metadata]`,
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  walk(root as JsonSchema, path, out, 0, 'root');
  return out;
}

type Place = 'root' | 'property' | 'items' | 'additional' | 'junctor';

function walk(s: JsonSchema, path: string, out: StatusCause[], depth: number, place: Place): void {
  if (depth > MAX_SCHEMA_DEPTH) {
    out.push(fieldErrors.forbidden(path, `must not nest deeper than ${MAX_SCHEMA_DEPTH} levels`));
    return;
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  if (place === 'junctor') {
    for (const key of ['type', 'default', 'nullable', 'additionalProperties', 'description']) {
      if (s[key] !== undefined)
        out.push(fieldErrors.forbidden(`${path}.${key}`, 'must be empty to be structural'));
    }
  } else if (s.type === undefined || s.type === '') {
    if (!intOrString && preserve !== true) {
      const where = place === 'items' ? 'for specified array items' : 'for specified object fields';
      out.push(fieldErrors.required(`${path}.type`, `must not be empty ${where}`));
    }
  } else if (typeof s.type !== 'string' || !TYPES.includes(s.type)) {
    out.push(fieldErrors.notSupported(`${path}.type`, s.type, TYPES));
  } else if (intOrString) {
    out.push(
      fieldErrors.invalid(
        `${path}.type`,
        s.type,
        'must be empty if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (preserve !== undefined && preserve !== true) {
    out.push(
      fieldErrors.invalid(
        `${path}.x-kubernetes-preserve-unknown-fields`,
        preserve,
        'must be true or undefined',
      ),
    );
  }
  if (s['x-kubernetes-embedded-resource'] === true && place !== 'junctor') {
    if (s.type !== 'object')
      out.push(
        fieldErrors.invalid(
          `${path}.type`,
          s.type ?? '',
          'must be object if x-kubernetes-embedded-resource is true',
        ),
      );
    if (preserve !== true && !isPlainObject(s.properties))
      out.push(
        fieldErrors.required(
          `${path}.properties`,
          'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
        ),
      );
  }
  if (isPlainObject(s.properties) && s.additionalProperties !== undefined) {
    out.push(
      fieldErrors.forbidden(
        `${path}.additionalProperties`,
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (s.additionalProperties === false) {
    out.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'must not be false'));
  }
  if (s.type === 'array' && !isPlainObject(s.items) && place !== 'junctor') {
    out.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  }
  if (Array.isArray(s.items)) {
    out.push(
      fieldErrors.forbidden(`${path}.items`, 'items must be a schema object and not an array'),
    );
  }
  if (s.uniqueItems === true) {
    out.push(
      fieldErrors.forbidden(
        `${path}.uniqueItems`,
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch (e) {
      out.push(
        fieldErrors.invalid(
          `${path}.pattern`,
          s.pattern,
          `must be a valid regular expression, but isn't: ${(e as Error).message}`,
        ),
      );
    }
  }
  listType(s, path, out);
  if (s.default !== undefined && place !== 'junctor' && place !== 'root') {
    const value = structuredClone(s.default);
    prune(s, value, false);
    applyDefaults(s, value);
    for (const c of validateValue(s, value, `${path}.default`)) out.push(c);
  }

  if (isPlainObject(s.properties)) {
    for (const [k, v] of Object.entries(s.properties)) {
      if (isPlainObject(v))
        walk(
          v,
          `${path}.properties[${k}]`,
          out,
          depth + 1,
          place === 'junctor' ? 'junctor' : 'property',
        );
      else out.push(fieldErrors.invalid(`${path}.properties[${k}]`, v, 'must be a schema object'));
    }
  }
  if (isPlainObject(s.items))
    walk(s.items, `${path}.items`, out, depth + 1, place === 'junctor' ? 'junctor' : 'items');
  if (isPlainObject(s.additionalProperties))
    walk(
      s.additionalProperties,
      `${path}.additionalProperties`,
      out,
      depth + 1,
      place === 'junctor' ? 'junctor' : 'additional',
    );
  for (const j of JUNCTORS) {
    const list = s[j];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      out.push(fieldErrors.invalid(`${path}.${j}`, list, 'must be a list of schemas'));
      continue;
    }
    list.forEach((sub, i) => {
      if (isPlainObject(sub)) walk(sub, `${path}.${j}[${i}]`, out, depth + 1, 'junctor');
    });
  }
  if (isPlainObject(s.not)) walk(s.not, `${path}.not`, out, depth + 1, 'junctor');
}

function listType(s: JsonSchema, path: string, out: StatusCause[]): void {
  const type = s['x-kubernetes-list-type'];
  if (type === undefined) return;
  if (typeof type !== 'string' || !LIST_TYPES.includes(type)) {
    out.push(fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, type, LIST_TYPES));
    return;
  }
  if (s.type !== 'array') {
    out.push(
      fieldErrors.invalid(
        `${path}.type`,
        s.type ?? '',
        'must be array if x-kubernetes-list-type is specified',
      ),
    );
  }
  const keys = s['x-kubernetes-list-map-keys'];
  if (type === 'map') {
    if (!Array.isArray(keys) || keys.length === 0) {
      out.push(
        fieldErrors.required(
          `${path}.x-kubernetes-list-map-keys`,
          'must not be empty if x-kubernetes-list-type is map',
        ),
      );
      return;
    }
    const items = isPlainObject(s.items) ? (s.items as JsonSchema) : undefined;
    if (items && items.type !== 'object') {
      out.push(
        fieldErrors.invalid(
          `${path}.items.type`,
          items.type ?? '',
          "must be object if parent array's x-kubernetes-list-type is map",
        ),
      );
      return;
    }
    const props = isPlainObject(items?.properties) ? items!.properties! : {};
    keys.forEach((k, i) => {
      const prop = props[String(k)];
      if (!isPlainObject(prop)) {
        out.push(
          fieldErrors.required(
            `${path}.items.properties[${String(k)}]`,
            'entries specified in x-kubernetes-list-map-keys must be specified',
          ),
        );
      } else if (!(items?.required ?? []).includes(String(k)) && prop.default === undefined) {
        out.push(
          fieldErrors.required(
            `${path}.x-kubernetes-list-map-keys[${i}]`,
            'all map keys must be required or have a default value',
          ),
        );
      }
    });
  } else if (keys !== undefined) {
    out.push(
      fieldErrors.forbidden(
        `${path}.x-kubernetes-list-map-keys`,
        'must be empty if x-kubernetes-list-type is not map',
      ),
    );
  }
}
