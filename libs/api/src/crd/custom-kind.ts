// The kind modules an Established CustomResourceDefinition serves, one per served version: the
// same module shape as a built-in kind, so the registry, strategy, watch cache, storage,
// discovery, OpenAPI and tables serve custom resources exactly as they serve built-in ones.
import { isPlainObject, jsonEqual, type JsonObject, type KubeObject } from '../object';
import type { ResourceInfo, Subresource } from '../catalog';
import type { KindModule } from '../kinds/kind-module';
import { ALL_VERBS } from '../kinds/resource';
import { storageVersionOf } from '../kinds/apiextensions/customresourcedefinition';
import { printerFromColumns, type PrinterColumn } from './printer-columns';
import { definitionsFromSchema } from './schema-definitions';
import { applyDefaults, prune } from './schema-pruning';
import type { JsonSchema } from './schema-types';
import { validateValue } from './schema-validation';
import { ApiError, type StatusCause } from '../status';
import { celRuleErrors } from './cel-rules';

const obj = (v: unknown): JsonObject => (isPlainObject(v) ? v : {});
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The names the CRD's status accepted (what is served), falling back to spec.names. */
function servedNames(crd: KubeObject): JsonObject {
  const accepted = obj(obj(crd.status).acceptedNames);
  return accepted.plural ? accepted : obj(obj(crd.spec).names);
}

export function customKindModules(crd: KubeObject): KindModule[] {
  const spec = obj(crd.spec);
  const group = String(spec.group ?? '');
  const names = servedNames(crd);
  const kind = String(names.kind ?? '');
  const storageVersion = storageVersionOf(crd) ?? '';
  const out: KindModule[] = [];
  for (const raw of Array.isArray(spec.versions) ? spec.versions : []) {
    const v = obj(raw);
    if (v.served !== true || typeof v.name !== 'string') continue;
    const schema = obj(obj(v.schema).openAPIV3Schema) as JsonSchema;
    const sub = obj(v.subresources);
    const scale = isPlainObject(sub.scale) ? sub.scale : undefined;
    const subresources: Subresource[] = [];
    if (isPlainObject(sub.status)) subresources.push('status');
    if (scale) subresources.push('scale');
    const r: ResourceInfo = {
      group,
      version: v.name,
      kind,
      listKind: String(names.listKind ?? `${kind}List`),
      plural: String(names.plural ?? ''),
      singular: String(names.singular ?? kind.toLowerCase()),
      shortNames: strings(names.shortNames),
      namespaced: spec.scope === 'Namespaced',
      verbs: ALL_VERBS,
      categories: strings(names.categories),
      subresources,
      ...(scale
        ? {
            scale: {
              specReplicasPath: String(scale.specReplicasPath),
              statusReplicasPath: String(scale.statusReplicasPath),
              labelSelectorPath: String(scale.labelSelectorPath ?? ''),
            },
          }
        : {}),
      custom: { storageVersion },
    };
    const hasStatus = subresources.includes('status');
    const columns = (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : [])
      .filter(isPlainObject)
      .map((c) => c as unknown as PrinterColumn);
    out.push({
      resource: r,
      definitions: definitionsFromSchema(group, v.name, kind, schema),
      tracksGeneration: true,
      // Without a status subresource every change outside metadata is a new generation.
      generationChanged: hasStatus
        ? undefined
        : (next, prev) => !jsonEqual(next.status, prev.status),
      defaults: (o) => {
        prune(schema, o);
        applyDefaults(schema, o);
      },
      prepareForStatusUpdate: (o) => {
        prune(schema, o);
        applyDefaults(schema, o);
      },
      validate: (o) => validateCustomObject(schema, o),
      validateUpdate: (next, prev) => transitionRuleErrors(schema, next, prev),
      ...(crd.metadata.deletionTimestamp
        ? {
            prepareForCreate: () => {
              throw new ApiError(
                405,
                'MethodNotAllowed',
                'create not allowed while custom resource definition is terminating',
              );
            },
          }
        : {}),
      printer: printerFromColumns(columns),
    });
  }
  // Discovery prefers the first: Kubernetes orders versions GA, beta, alpha, newest first.
  return out.sort((a, b) => compareKubeVersions(a.resource.version, b.resource.version));
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/** Kubernetes' version priority: v2 before v1 before v1beta2 before v1beta1 before v1alpha1, then the rest by name. */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = KUBE_VERSION.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0;
}

/** The schema without the fields the generic strategy checks (metadata, apiVersion, kind). */
function bodyOf(schema: JsonSchema, o: KubeObject): { bare: JsonSchema; rest: JsonObject } {
  const { metadata: _meta, apiVersion: _v, kind: _k, ...rest } = o;
  const bare: JsonSchema = { ...schema, properties: { ...(schema.properties ?? {}) } };
  delete bare.properties!.metadata;
  delete bare.properties!.apiVersion;
  delete bare.properties!.kind;
  return { bare, rest };
}

/**
 * The object's fields under the schema, then its CEL rules (only on a valid object, as the rules
 * assume the types the schema promises). Transition rules wait for validateUpdate.
 */
export function validateCustomObject(schema: JsonSchema, o: KubeObject): StatusCause[] {
  const { bare, rest } = bodyOf(schema, o);
  const causes = validateValue(bare, rest, '');
  return causes.length > 0 ? causes : celRuleErrors(bare, rest, '', 'plain');
}

/** Rules that compare with oldSelf, on an update. */
function transitionRuleErrors(
  schema: JsonSchema,
  next: KubeObject,
  prev: KubeObject,
): StatusCause[] {
  const { bare, rest } = bodyOf(schema, next);
  if (validateValue(bare, rest, '').length > 0) return [];
  return celRuleErrors(bare, rest, '', 'transition', bodyOf(schema, prev).rest);
}
