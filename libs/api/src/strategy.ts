// Per-kind create/update rules that need no storage: defaults, admission, validation, status/spec separation.
import type { ResourceInfo } from './catalog';
import { apiVersionOf } from './catalog';
import type { JsonObject, KubeObject, ObjectMeta } from './object';
import { cloneJson, isPlainObject, jsonEqual } from './object';
import type { CreateContext, KindModule } from './kinds/kind-module';
import { kindModuleOf } from './kinds/registry';
import { apiErrors } from './status';
import { unknownFieldPaths } from './unknown-fields';
import { validateObjectMeta, validateObjectMetaUpdate } from './validate-meta';

export type { CreateContext } from './kinds/kind-module';

const NO_MODULE: KindModule = { resource: undefined as unknown as ResourceInfo };

function moduleOf(r: ResourceInfo): KindModule {
  return kindModuleOf(r) ?? NO_MODULE;
}

/** The letters Kubernetes uses for generated name suffixes: no vowels, no look-alikes. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function suffixFromUid(uid: string): string {
  const hex = uid.replace(/[^0-9a-f]/gi, '');
  let out = '';
  for (let i = 0; out.length < 5 && i + 2 <= hex.length; i += 2) {
    out += SUFFIX_ALPHABET[parseInt(hex.slice(i, i + 2), 16) % SUFFIX_ALPHABET.length];
  }
  return out.padEnd(5, 'x');
}

/** RFC 3339 at second precision, as metav1.Time serializes. */
export function formatTimestamp(d: Date): string {
  // Timestamps have whole seconds, and a busy server formats the same second many times.
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastText = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

let lastSecond = NaN;
let lastText = '';

function normalize(r: ResourceInfo, obj: KubeObject): KubeObject {
  const o = cloneJson(obj);
  if (!isPlainObject(o.metadata)) o.metadata = {};
  o.apiVersion = apiVersionOf(r);
  o.kind = r.kind;
  return o;
}

function spec(o: KubeObject): JsonObject {
  if (!isPlainObject(o.spec)) o.spec = {};
  return o.spec as JsonObject;
}

function hasStatusSubresource(r: ResourceInfo): boolean {
  return r.subresources.includes('status');
}

export function prepareForCreate(r: ResourceInfo, obj: KubeObject, ctx: CreateContext): KubeObject {
  const o = normalize(r, obj);
  const meta = o.metadata as ObjectMeta & Record<string, unknown>;
  if (r.namespaced) {
    if (ctx.namespace && meta.namespace && meta.namespace !== ctx.namespace) {
      throw apiErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta.namespace = meta.namespace || ctx.namespace;
  } else {
    delete meta.namespace;
  }
  if (!meta.name && meta.generateName) {
    meta.name =
      meta.generateName + (ctx.randomSuffix ? ctx.randomSuffix() : suffixFromUid(ctx.newUid()));
  }
  meta.uid = ctx.newUid();
  meta.creationTimestamp = formatTimestamp(ctx.now);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  const m = moduleOf(r);
  if (m.tracksGeneration) meta.generation = 1;
  else delete meta.generation;

  m.defaults?.(o);
  m.prepareForCreate?.(o, ctx);
  return o;
}

function throwIfAny(
  r: ResourceInfo,
  o: KubeObject,
  causes: ReturnType<typeof validateObjectMeta>,
): void {
  if (causes.length > 0) throw apiErrors.invalid(r, o.metadata.name ?? '', causes);
}

export function validateCreate(r: ResourceInfo, obj: KubeObject): void {
  if (obj.metadata?.resourceVersion) {
    throw apiErrors.badRequest('resourceVersion should not be set on objects to be created');
  }
  const m = moduleOf(r);
  m.decodable?.(obj);
  throwIfAny(r, obj, [...validateObjectMeta(r, obj), ...(m.validate?.(obj) ?? [])]);
}

/** Carries system-owned metadata from the stored object into an update (rest.BeforeUpdate). */
function keepSystemMeta(next: KubeObject, prev: KubeObject): void {
  const m = next.metadata as ObjectMeta & Record<string, unknown>;
  const p = prev.metadata;
  if (!m.uid) m.uid = p.uid;
  if (!m.namespace && p.namespace) m.namespace = p.namespace;
  if (p.creationTimestamp) m.creationTimestamp = p.creationTimestamp;
  if (p.deletionTimestamp) m.deletionTimestamp = p.deletionTimestamp;
  if (p.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds === undefined) {
    m.deletionGracePeriodSeconds = p.deletionGracePeriodSeconds;
  }
  if (p.generation !== undefined) m.generation = p.generation;
  else delete m.generation;
  delete m.selfLink;
}

function bumpGeneration(r: ResourceInfo, next: KubeObject, prev: KubeObject): void {
  if (typeof prev.metadata.generation !== 'number') return;
  let changed = !jsonEqual(next.spec, prev.spec);
  changed ||= moduleOf(r).generationChanged?.(next, prev) ?? false;
  next.metadata.generation = prev.metadata.generation + (changed ? 1 : 0);
}

/** The status subresource may change status (and labels/annotations), never spec or identity. */
function prepareStatusUpdate(r: ResourceInfo, next: KubeObject, prev: KubeObject): KubeObject {
  const o = normalize(r, prev);
  o.status = cloneJson(next.status);
  const m = o.metadata;
  const n = next.metadata ?? {};
  if (n.resourceVersion !== undefined) m.resourceVersion = n.resourceVersion;
  else delete m.resourceVersion;
  // Workload labels are controller-owned.
  if (!moduleOf(r).statusKeepsLabels) m.labels = cloneJson(n.labels);
  m.annotations = cloneJson(n.annotations);
  if (m.labels === undefined) delete m.labels;
  if (m.annotations === undefined) delete m.annotations;
  moduleOf(r).prepareForStatusUpdate?.(o);
  return o;
}

/** The scale subresource changes spec.replicas only; `next` carries the new value in spec.replicas. */
function prepareScaleUpdate(r: ResourceInfo, next: KubeObject, prev: KubeObject): KubeObject {
  const o = normalize(r, prev);
  spec(o).replicas = isPlainObject(next.spec) ? next.spec.replicas : undefined;
  if (next.metadata?.resourceVersion !== undefined)
    o.metadata.resourceVersion = next.metadata.resourceVersion;
  bumpGeneration(r, o, prev);
  return o;
}

/**
 * namespaces/<n>/finalize changes spec.finalizers only: how the namespace controller says it has
 * emptied a terminating namespace (Kubernetes' namespaceFinalizeStrategy).
 */
function prepareFinalizeUpdate(r: ResourceInfo, next: KubeObject, prev: KubeObject): KubeObject {
  const o = normalize(r, prev);
  const wanted = isPlainObject(next.spec) ? next.spec.finalizers : undefined;
  if (wanted === undefined || wanted === null) delete spec(o).finalizers;
  else spec(o).finalizers = cloneJson(wanted);
  if (next.metadata?.resourceVersion !== undefined)
    o.metadata.resourceVersion = next.metadata.resourceVersion;
  else delete o.metadata.resourceVersion;
  return o;
}

export function prepareForUpdate(
  r: ResourceInfo,
  next: KubeObject,
  prev: KubeObject,
  subresource?: 'status' | 'scale' | 'finalize',
): KubeObject {
  if (subresource === 'status') return prepareStatusUpdate(r, next, prev);
  if (subresource === 'scale') return prepareScaleUpdate(r, next, prev);
  if (subresource === 'finalize') return prepareFinalizeUpdate(r, next, prev);
  const o = normalize(r, next);
  keepSystemMeta(o, prev);
  const m = moduleOf(r);
  m.defaults?.(o);
  if (hasStatusSubresource(r)) {
    if (prev.status === undefined) delete o.status;
    else o.status = cloneJson(prev.status);
  }
  m.prepareForUpdate?.(o, prev);
  bumpGeneration(r, o, prev);
  return o;
}

export function validateUpdate(r: ResourceInfo, next: KubeObject, prev: KubeObject): void {
  const m = moduleOf(r);
  m.decodable?.(next);
  throwIfAny(r, next, [
    ...validateObjectMeta(r, next),
    ...validateObjectMetaUpdate(next, prev),
    ...(m.validate?.(next) ?? []),
    ...(m.validateUpdate?.(next, prev) ?? []),
  ]);
}

/** Paths of fields the kind's schema does not know (for fieldValidation Strict/Warn), e.g. ".spec.replica". */
export function unknownFields(r: ResourceInfo, obj: KubeObject): string[] {
  return unknownFieldPaths(r, obj);
}
