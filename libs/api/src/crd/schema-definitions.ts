// A CRD version's structural schema as the server's field model (Definition): what unknown-field
// detection (fieldValidation=Strict), merge metadata and server-side apply read for built-in
// kinds. The schema itself is what /openapi/v3 publishes (Definition.openapi).
import type { Definition, ListType } from '../kinds/kind-module';
import { META } from '../kinds/meta';
import { isPlainObject } from '../object';
import {
  additionalSchema,
  itemsSchema,
  type JsonSchema,
  MAX_SCHEMA_DEPTH,
  preservesUnknown,
} from './schema-types';

/** The OpenAPI definition prefix of a CRD's group-version: example.com/v1 → com.example.v1. */
export function definitionPrefix(group: string, version: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.`;
}

export function definitionsFromSchema(
  group: string,
  version: string,
  kind: string,
  root: JsonSchema,
): Record<string, Definition> {
  const prefix = definitionPrefix(group, version);
  const out: Record<string, Definition> = {};
  const rootName = `${prefix}${kind}`;

  const typeOf = (s: JsonSchema, name: string, depth: number): string => {
    if (depth > MAX_SCHEMA_DEPTH) return 'any';
    if (s['x-kubernetes-int-or-string'] === true) return 'int-or-string';
    switch (s.type) {
      case 'string':
        return s.format === 'date-time' ? 'time' : 'string';
      case 'integer':
        return 'integer';
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        const items = itemsSchema(s);
        return `[]${items ? typeOf(items, `${name}.items`, depth + 1) : 'any'}`;
      }
      default: {
        const additional = additionalSchema(s);
        if (additional) return `map:${typeOf(additional, `${name}.value`, depth + 1)}`;
        if (preservesUnknown(s) && !isPlainObject(s.properties)) return 'any';
        if (s.type !== 'object' && !isPlainObject(s.properties)) return 'any';
        objectDefinition(s, name, depth + 1, false);
        return `#${name}`;
      }
    }
  };

  const objectDefinition = (s: JsonSchema, name: string, depth: number, isRoot: boolean) => {
    const def: Definition = {
      description: typeof s.description === 'string' ? s.description : '',
      fields: {},
    };
    out[name] = def;
    if (isRoot || s['x-kubernetes-embedded-resource'] === true) {
      def.fields.apiVersion = 'string';
      def.fields.kind = 'string';
      def.fields.metadata = `#${META}ObjectMeta`;
    }
    const props = isPlainObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
    for (const [field, prop] of Object.entries(props)) {
      if (!isPlainObject(prop)) continue;
      if ((isRoot || s['x-kubernetes-embedded-resource'] === true) && field === 'metadata')
        continue;
      def.fields[field] = typeOf(prop, `${name}.${field}`, depth);
      const listType = listTypeOf(prop);
      if (listType) (def.listTypes ??= {})[field] = listType;
      if (prop.type === 'object' && prop['x-kubernetes-map-type'] === 'atomic') {
        if (additionalSchema(prop)) (def.atomicMaps ??= []).push(field);
      }
    }
    if (preservesUnknown(s)) def.preserveUnknown = true;
    if (Array.isArray(s.required) && !isRoot) def.required = s.required.map(String);
    if (s['x-kubernetes-map-type'] === 'atomic' && !additionalSchema(s)) def.atomic = true;
  };

  objectDefinition(root, rootName, 0, true);
  out[rootName].gvk = { group, version, kind };
  out[rootName].openapi = publishedSchema(root);
  return out;
}

function listTypeOf(s: JsonSchema): ListType | undefined {
  if (s.type !== 'array') return undefined;
  const type = s['x-kubernetes-list-type'];
  if (type === 'map')
    return { type: 'map', keys: (s['x-kubernetes-list-map-keys'] ?? []).map(String) };
  if (type === 'set') return { type: 'set' };
  // Kubernetes treats a list without a list type as atomic in custom resources.
  return { type: 'atomic' };
}

/** The schema as /openapi/v3 shows it: apiVersion, kind and metadata added at the root. */
function publishedSchema(root: JsonSchema): Record<string, unknown> {
  const props = isPlainObject(root.properties) ? root.properties : {};
  return {
    ...root,
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object.',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents.',
        type: 'string',
      },
      metadata: { $ref: `#/components/schemas/${META}ObjectMeta` },
      ...Object.fromEntries(Object.entries(props).filter(([k]) => k !== 'metadata')),
    },
  };
}
