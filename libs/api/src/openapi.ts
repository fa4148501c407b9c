// OpenAPI v3 documents per group-version: what kubectl 1.32 reads to learn that PATCH/POST/PUT accept
// fieldValidation (so it asks the server to validate strictly) and what `kubectl explain` shows.
// The PATCH request bodies deliberately omit the strategic-merge content type: kubectl then computes apply
// patches from its compiled-in types, whose merge keys are exact, instead of from these schemas.
import { createHash } from 'node:crypto';
import type { ResourceInfo } from './catalog';
import { apiVersionOf, groupVersions, resourcesIn } from './catalog';
import { isAtomicMap, isAtomicStruct, listTypeOf } from './managed-fields/shape';
import { listMeta } from './patch-meta';
import { kindsGeneration } from './kinds/registry';
import { definitionForKind, definitionNamed, reachableDefinitions } from './schemas';

type Schema = Record<string, unknown>;

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** Schemas every document carries besides the kinds' own. */
const SUPPORT: Record<string, Schema> = {
  [INT_OR_STRING]: {
    description: 'An integer or a string.',
    type: 'string',
    format: 'int-or-string',
  },
  [QUANTITY]: {
    description: 'A fixed-point number with an optional suffix, e.g. 100m or 1Gi.',
    type: 'string',
  },
  [LIST_META]: {
    description: 'Metadata of a list.',
    type: 'object',
    properties: {
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer', format: 'int64' },
      resourceVersion: { type: 'string' },
      selfLink: { type: 'string' },
    },
  },
  [STATUS]: {
    description: 'The result of an operation that does not return an object.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [ref(LIST_META)] },
      status: { type: 'string' },
      message: { type: 'string' },
      reason: { type: 'string' },
      details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      code: { type: 'integer', format: 'int32' },
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
  },
  [DELETE_OPTIONS]: {
    description: 'Options for deleting an object.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      dryRun: { type: 'array', items: { type: 'string' } },
      gracePeriodSeconds: { type: 'integer', format: 'int64' },
      orphanDependents: { type: 'boolean' },
      preconditions: {
        type: 'object',
        properties: { resourceVersion: { type: 'string' }, uid: { type: 'string' } },
      },
      propagationPolicy: { type: 'string' },
    },
  },
  [PATCH]: { description: 'A patch body, in one of the accepted patch formats.', type: 'object' },
};

function typeSchema(type: string, owner: string, field: string): Schema {
  if (type.startsWith('[]')) {
    const schema: Schema = { type: 'array', items: typeSchema(type.slice(2), owner, field) };
    const meta = listMeta({ def: owner }, field);
    if (meta.strategy === 'merge') {
      schema['x-kubernetes-patch-strategy'] = meta.retainKeys ? 'merge,retainKeys' : 'merge';
      if (meta.mergeKey) schema['x-kubernetes-patch-merge-key'] = meta.mergeKey;
    }
    // What server-side apply merges by (x-kubernetes-list-type and its keys).
    const listType = listTypeOf(owner, field);
    schema['x-kubernetes-list-type'] = listType.type;
    if (listType.type === 'map') schema['x-kubernetes-list-map-keys'] = listType.keys;
    return schema;
  }
  if (type.startsWith('map:')) {
    const schema: Schema = {
      type: 'object',
      additionalProperties: typeSchema(type.slice(4), owner, field),
    };
    if (isAtomicMap(owner, field)) schema['x-kubernetes-map-type'] = 'atomic';
    return schema;
  }
  if (type.startsWith('#')) return { allOf: [ref(type.slice(1))], default: {} };
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'int32':
      return { type: 'integer', format: 'int32' };
    case 'integer':
      return { type: 'integer', format: 'int64' };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'int-or-string':
      return { allOf: [ref(INT_OR_STRING)] };
    case 'quantity':
      return { allOf: [ref(QUANTITY)] };
    default:
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
}

function definitionSchema(name: string): Schema {
  const def = definitionNamed(name)!;
  if (def.openapi) return withGvk({ ...def.openapi }, def);
  const properties: Record<string, Schema> = {};
  for (const [field, type] of Object.entries(def.fields))
    properties[field] = typeSchema(type, name, field);
  const schema: Schema = { description: def.description, type: 'object', properties };
  if (def.required?.length) schema.required = def.required;
  if (isAtomicStruct(name)) schema['x-kubernetes-map-type'] = 'atomic';
  return withGvk(schema, def);
}

function withGvk(schema: Schema, def: { gvk?: { group: string; version: string; kind: string } }) {
  if (def.gvk)
    schema['x-kubernetes-group-version-kind'] = [
      { group: def.gvk.group, kind: def.gvk.kind, version: def.gvk.version },
    ];
  return schema;
}

function listSchema(r: ResourceInfo, itemDef: string): Schema {
  return {
    description: `A list of ${r.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      items: { type: 'array', items: { allOf: [ref(itemDef)], default: {} } },
      metadata: { allOf: [ref(LIST_META)], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.listKind, version: r.version }],
  };
}

function queryParam(name: string, description: string, type = 'string'): Schema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, modifications are not persisted.'),
  queryParam('fieldManager', 'The name of the actor making the change.'),
  queryParam(
    'fieldValidation',
    'How to treat fields the schema does not know: Ignore, Warn or Strict (reject the request with a BadRequest).',
  ),
];

const JSON_TYPES = ['application/json', 'application/yaml'];

function body(schema: Schema, types: string[]): Schema {
  return { content: Object.fromEntries(types.map((t) => [t, { schema }])), required: true };
}

function responses(schema: Schema, codes: string[]): Schema {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: code === '201' ? 'Created' : 'OK',
        content: { 'application/json': { schema } },
      },
    ]),
  );
}

function operationName(verb: string, r: ResourceInfo, suffix = ''): string {
  const group = r.group ? r.group.split('.')[0] : 'core';
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return `${verb}${cap(group)}${cap(r.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
}

function resourcePaths(r: ResourceInfo, itemDef: string, listDef: string): Record<string, Schema> {
  const gvk = { group: r.group, kind: r.kind, version: r.version };
  const base = `/${r.group ? `apis/${r.group}` : 'api'}/${r.version}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const pathParams: Schema[] = [
    {
      name: 'name',
      in: 'path',
      required: true,
      description: `name of the ${r.kind}`,
      schema: { type: 'string', uniqueItems: true },
    },
  ];
  if (r.namespaced) {
    pathParams.push({
      name: 'namespace',
      in: 'path',
      required: true,
      description: 'object name and auth scope',
      schema: { type: 'string', uniqueItems: true },
    });
  }
  const collectionParams = pathParams.filter((p) => p.name !== 'name');
  const op = (verb: string, action: string, extra: Schema, suffix = ''): Schema => ({
    operationId: operationName(verb, r, suffix),
    tags: [apiVersionOf(r)],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const patchOp = (suffix: string): Schema =>
    op(
      'patch',
      'patch',
      {
        parameters: [...WRITE_PARAMS, queryParam('force', 'Force apply requests.', 'boolean')],
        requestBody: body(ref(PATCH), [
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/apply-patch+yaml',
        ]),
        responses: responses(ref(itemDef), ['200', '201']),
      },
      suffix,
    );
  const item: Schema = {
    get: op('read', 'get', { responses: responses(ref(itemDef), ['200']) }),
    put: op('replace', 'put', {
      parameters: WRITE_PARAMS,
      requestBody: body(ref(itemDef), JSON_TYPES),
      responses: responses(ref(itemDef), ['200', '201']),
    }),
    patch: patchOp(''),
    delete: op('delete', 'delete', {
      parameters: [
        queryParam('gracePeriodSeconds', 'Seconds before the object is deleted.', 'integer'),
        queryParam('propagationPolicy', 'Orphan, Background or Foreground.'),
      ],
      responses: responses(ref(STATUS), ['200', '202']),
    }),
    parameters: pathParams,
  };
  const collection: Schema = {
    get: op('list', 'list', { responses: responses(ref(listDef), ['200']) }),
    post: op('create', 'post', {
      parameters: WRITE_PARAMS,
      requestBody: body(ref(itemDef), JSON_TYPES),
      responses: responses(ref(itemDef), ['200', '201', '202']),
    }),
    parameters: collectionParams,
  };
  if (r.verbs.includes('deletecollection')) {
    collection.delete = op('deleteCollection', 'deletecollection', {
      responses: responses(ref(STATUS), ['200']),
    });
  }
  const paths: Record<string, Schema> = { [base]: collection, [`${base}/{name}`]: item };
  if (r.subresources.includes('status')) {
    paths[`${base}/{name}/status`] = {
      get: op('read', 'get', { responses: responses(ref(itemDef), ['200']) }, 'Status'),
      put: op(
        'replace',
        'put',
        {
          parameters: WRITE_PARAMS,
          requestBody: body(ref(itemDef), JSON_TYPES),
          responses: responses(ref(itemDef), ['200', '201']),
        },
        'Status',
      ),
      patch: patchOp('Status'),
      parameters: pathParams,
    };
  }
  return paths;
}

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function buildDocument(group: string, version: string): Record<string, unknown> | undefined {
  const resources = resourcesIn(group, version);
  if (resources.length === 0) return undefined;
  const schemas: Record<string, Schema> = { ...SUPPORT };
  const paths: Record<string, Schema> = {};
  for (const r of resources) {
    const found = definitionForKind(r.group, r.version, r.kind);
    if (!found) continue;
    const [itemDef] = found;
    for (const name of reachableDefinitions(itemDef)) schemas[name] = definitionSchema(name);
    const listDef = `${itemDef.slice(0, itemDef.lastIndexOf('.') + 1)}${r.listKind}`;
    schemas[listDef] = listSchema(r, itemDef);
    Object.assign(paths, resourcePaths(r, itemDef, listDef));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

const documents = new Map<string, { doc: Record<string, unknown>; hash: string }>();
/** The registry generation the documents were built for: a CRD coming or going rebuilds them. */
let documentsGeneration = 0;

function cached(
  group: string,
  version: string,
): { doc: Record<string, unknown>; hash: string } | undefined {
  if (documentsGeneration !== kindsGeneration()) {
    documentsGeneration = kindsGeneration();
    documents.clear();
  }
  const key = groupVersionPath(group, version);
  let entry = documents.get(key);
  if (!entry) {
    const doc = buildDocument(group, version);
    if (!doc) return undefined;
    entry = {
      doc,
      hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase(),
    };
    documents.set(key, entry);
  }
  return entry;
}

/** The /openapi/v3 index: one entry per served group-version, its URL carrying the document's hash. */
export function openApiV3Paths(): Record<string, { serverRelativeURL: string }> {
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const entry = cached(group, version);
    if (!entry) continue;
    const path = groupVersionPath(group, version);
    out[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${entry.hash}` };
  }
  return out;
}

/** The document for one group-version (core: group ''), or undefined when it is not served. */
export function openApiV3Document(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  return cached(group, version)?.doc;
}
