// Field management on writes, as the Kubernetes API server does it: an Update entry for the
// manager of a create, update or non-apply patch owning what that request changed; server-side
// apply merging a configuration, removing what its manager stopped applying, and refusing with 409
// when it would change a field another manager owns (unless forced).
import type { ResourceInfo } from '../catalog';
import { apiVersionOf } from '../catalog';
import type { JsonObject, KubeObject } from '../object';
import { cloneJson, isPlainObject, jsonEqual } from '../object';
import { ApiError, apiErrors } from '../status';
import { formatTimestamp } from '../strategy';
import type { FieldPath } from './field-set';
import { canonicalJson, fieldElement, FieldSet, pathText } from './field-set';
import type { ManagerEntry } from './managers';
import {
  decodeManagedFields,
  encodeManagedFields,
  isResetRequest,
  ManagedFieldsError,
  managerIdentity,
} from './managers';
import { rootShape } from './shape';
import {
  addedFieldsV1,
  ApplyShapeError,
  compareValues,
  fieldSetOf,
  mergeValues,
  removeFields,
} from './typed';

export type FieldSubresource = 'status' | 'scale';

export interface FieldManagerContext {
  r: ResourceInfo;
  /** The fieldManager of the request (see managerFromRequest). */
  manager: string;
  /** Set for writes through /status or /scale: entries then carry it. */
  subresource?: FieldSubresource;
  now: Date;
}

/** Kubernetes' limit on fieldManager names. */
export const FIELD_MANAGER_MAX_LENGTH = 128;
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Who owns what an object held before its first apply, when it had no managedFields. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

const f = fieldElement;
const meta = (name: string): FieldPath => [f('metadata'), f(name)];

/** Fields nobody owns: identity and bookkeeping the server sets. */
const SYSTEM_FIELDS: FieldPath[] = [
  [f('apiVersion')],
  [f('kind')],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map(meta),
];

/**
 * The manager a request without a fieldManager parameter gets: its User-Agent up to the first
 * "/", printable characters only, at most 128 bytes ("kubectl/v1.32.4 (linux/amd64)" → "kubectl").
 */
export function managerFromUserAgent(userAgent: string): string {
  let out = '';
  for (const ch of userAgent.split('/')[0]) {
    if (!isPrintable(ch)) continue;
    if (Buffer.byteLength(out + ch) > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
  }
  return out;
}

function isPrintable(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);
}

/** Problems with a fieldManager parameter, as ValidateFieldManager words them. */
export function fieldManagerProblems(name: string): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  if (Buffer.byteLength(name) > FIELD_MANAGER_MAX_LENGTH) {
    out.push({
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${FIELD_MANAGER_MAX_LENGTH} bytes`,
    });
  }
  [...name].forEach((ch, i) => {
    if (!isPrintable(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(name)}: invalid character U+${code} (at position ${i})`,
      });
    }
  });
  return out;
}

const METADATA_ITSELF = FieldSet.of([f('metadata')]);
const SYSTEM_METADATA = SYSTEM_FIELDS.filter((p) => p.length === 2).map((p) => p[1]);

/** What a write through this resource or subresource may own. */
function ownable(
  r: ResourceInfo,
  subresource: FieldSubresource | undefined,
  set: FieldSet,
): FieldSet {
  const out = set.difference(METADATA_ITSELF).withoutPrefix(...SYSTEM_FIELDS);
  switch (subresource) {
    case 'status':
      return out.onlyPrefixes([[f('status')], meta('labels'), meta('annotations')]);
    case 'scale': {
      const path = (r.scale?.specReplicasPath ?? '.spec.replicas').slice(1).split('.').map(f);
      return out.onlyPrefixes([path]);
    }
    default:
      // The status of a kind with a status subresource is written only through it.
      return r.subresources.includes('status') ? out.withoutPrefix([f('status')]) : out;
  }
}

/** The object without managedFields, for merging and comparing. */
function withoutManagedFields<T extends KubeObject | JsonObject>(obj: T): T {
  if (!isPlainObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  const m = { ...(obj.metadata as JsonObject) };
  delete m.managedFields;
  return { ...obj, metadata: m };
}

function decodeOrNone(value: unknown): ManagerEntry[] {
  try {
    return decodeManagedFields(value);
  } catch (err) {
    if (err instanceof ManagedFieldsError) return [];
    throw err;
  }
}

/**
 * The entries an update starts from. A request may set managedFields explicitly (an update, or a
 * patch that changes them); `[]` or `[{}]` clears them. An absent field, or a list that cannot be
 * read, keeps the stored ones, so clients unaware of the field (or whose informers strip it)
 * never drop it.
 */
function baseEntries(live: KubeObject | undefined, next: KubeObject, sub?: FieldSubresource) {
  const requested = next.metadata?.managedFields;
  if (!sub) {
    if (isResetRequest(requested)) return [];
    if (Array.isArray(requested) && requested.length > 0) {
      try {
        return decodeManagedFields(requested);
      } catch (err) {
        if (!(err instanceof ManagedFieldsError)) throw err;
      }
    }
  }
  return decodeOrNone(live?.metadata.managedFields);
}

function setManagedFields(obj: KubeObject, entries: ManagerEntry[]): KubeObject {
  const encoded = encodeManagedFields(entries);
  const out = { ...obj, metadata: { ...obj.metadata } };
  if (encoded.length > 0) out.metadata.managedFields = encoded;
  else delete out.metadata.managedFields;
  return out;
}

/**
 * Records an Update: `next` is the object about to be stored (after defaults and validation),
 * `live` the stored one (undefined on create). The manager's Update entry gains the fields the
 * write added or changed; every entry loses the fields it changed or removed.
 */
export function recordUpdate(
  ctx: FieldManagerContext,
  live: KubeObject | undefined,
  next: KubeObject,
): KubeObject {
  if (!live && !ctx.subresource && next.metadata?.managedFields === undefined)
    return recordCreate(ctx, next);
  return recordByComparison(ctx, live, next);
}

/**
 * A create with no managedFields of its own: the manager owns everything the object holds that
 * a write may own. The same entry recordByComparison would make, built in one walk of the object
 * (a third of a pod create's CPU went to the general path's sets).
 */
function recordCreate(ctx: FieldManagerContext, next: KubeObject): KubeObject {
  const { r } = ctx;
  const fields = addedFieldsV1(next, rootShape(r));
  // What ownable() takes away for a write through the main resource.
  delete fields['f:apiVersion'];
  delete fields['f:kind'];
  if (r.subresources.includes('status')) delete fields['f:status'];
  const metadata = fields['f:metadata'] as Record<string, unknown> | undefined;
  if (metadata) {
    delete metadata['.'];
    for (const name of SYSTEM_METADATA) delete metadata[name];
    if (Object.keys(metadata).length === 0) delete fields['f:metadata'];
  }
  const out = { ...next, metadata: { ...next.metadata } };
  if (Object.keys(fields).length === 0) return out;
  out.metadata.managedFields = [
    {
      manager: ctx.manager,
      operation: 'Update',
      apiVersion: apiVersionOf(r),
      time: formatTimestamp(ctx.now),
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
    },
  ];
  return out;
}

/** The general Update: what changed between `live` and `next`, against the stored entries. */
export function recordByComparison(
  ctx: FieldManagerContext,
  live: KubeObject | undefined,
  next: KubeObject,
): KubeObject {
  const { r, subresource } = ctx;
  let entries = baseEntries(live, next, subresource);
  const c = compareValues(
    withoutManagedFields(live ?? ({} as KubeObject)),
    withoutManagedFields(next),
    rootShape(r),
  );
  const changed = ownable(r, subresource, c.added.union(c.modified));
  const touched = changed.union(ownable(r, subresource, c.removed));
  entries = entries.map((e) => ({ ...e, fields: e.fields.difference(touched) }));
  if (!changed.isEmpty()) {
    const mine = {
      manager: ctx.manager,
      operation: 'Update' as const,
      apiVersion: apiVersionOf(r),
      subresource,
    };
    const id = managerIdentity(mine);
    const own = entries.find((e) => managerIdentity(e) === id);
    const time = formatTimestamp(ctx.now);
    if (own) {
      own.fields = own.fields.union(changed);
      own.time = time;
    } else {
      entries.push({ ...mine, time, fields: changed });
    }
  }
  return setManagedFields(next, entries);
}

export interface ApplyRequest {
  /** The applied configuration: a partial object of the resource's kind. */
  config: JsonObject;
  /** Take the fields other managers own instead of failing with 409. */
  force: boolean;
}

export interface ApplyResult {
  /** The merged object with its new managedFields, to be defaulted, validated and stored. */
  object: KubeObject;
}

/** One field another manager owns with a different value. */
export interface ApplyConflict {
  manager: ManagerEntry;
  path: FieldPath;
}

/**
 * Server-side apply of `config` by ctx.manager onto `live` (undefined: the object is created).
 * Throws the 409 Kubernetes answers when the configuration changes fields other managers own.
 */
export function applyConfiguration(
  ctx: FieldManagerContext,
  live: KubeObject | undefined,
  req: ApplyRequest,
): ApplyResult {
  try {
    return applyUnchecked(ctx, live, req);
  } catch (err) {
    if (!(err instanceof ApplyShapeError)) throw err;
    const m = live?.metadata ?? (isPlainObject(req.config.metadata) ? req.config.metadata : {});
    const name = [m.namespace, m.name].filter((x) => typeof x === 'string' && x).join('/');
    const gvk = `${ctx.r.group}/${ctx.r.version}, Kind=${ctx.r.kind}`;
    const at = err.path.length > 0 ? `${pathText(err.path)}: ` : '';
    throw apiErrors.badRequest(
      `failed to create typed patch object (${name}; ${gvk}): ${at}${err.message}`,
    );
  }
}

function applyUnchecked(
  ctx: FieldManagerContext,
  live: KubeObject | undefined,
  req: ApplyRequest,
): ApplyResult {
  const { r, subresource } = ctx;
  const shape = rootShape(r);
  const apiVersion = apiVersionOf(r);
  const liveBare = live
    ? withoutManagedFields(live)
    : ({ apiVersion, kind: r.kind, metadata: {} } as KubeObject);
  let entries = live ? decodeOrNone(live.metadata.managedFields) : [];
  if (live && entries.length === 0) {
    // An object from before field management: what it holds belongs to a stand-in manager.
    const held = ownable(r, subresource, compareValues({}, liveBare, shape).added);
    if (!held.isEmpty()) {
      entries.push({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, fields: held });
    }
  }

  const applied = ownable(r, subresource, fieldSetOf(req.config, shape));
  const mine = { manager: ctx.manager, operation: 'Apply' as const, apiVersion, subresource };
  const id = managerIdentity(mine);
  const previous = entries.find((e) => managerIdentity(e) === id);
  const own: ManagerEntry = { ...mine, time: previous?.time, fields: applied };
  entries = [...entries.filter((e) => managerIdentity(e) !== id), own];

  let merged = mergeValues(liveBare, req.config, shape) as KubeObject;
  if (previous) {
    // What this manager applied before and leaves out now goes, unless someone else owns it.
    const owned = entries.reduce((acc, e) => acc.union(e.fields), new FieldSet());
    merged = removeFields(merged, shape, previous.fields.difference(applied), owned) as KubeObject;
  }

  const c = compareValues(liveBare, merged, shape);
  const changed = ownable(r, subresource, c.added.union(c.modified));
  const removed = ownable(r, subresource, c.removed);
  const others = entries.filter((e) => e !== own);
  const conflicts: ApplyConflict[] = [];
  for (const e of others) {
    for (const path of e.fields.intersection(changed).paths()) conflicts.push({ manager: e, path });
  }
  if (conflicts.length > 0 && !req.force) throw applyConflictError(conflicts);
  for (const e of others) e.fields = e.fields.difference(changed).difference(removed);

  const objectChanged = !live || !jsonEqual(liveBare, merged);
  if (objectChanged || !own.time) own.time = formatTimestamp(ctx.now);

  if (
    ctx.manager === 'kubectl' &&
    live?.metadata.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined
  ) {
    // kubectl's server-side apply keeps the client-side annotation current, so that going back to
    // client-side apply works.
    merged.metadata = {
      ...merged.metadata,
      annotations: {
        ...merged.metadata.annotations,
        [LAST_APPLIED_ANNOTATION]: lastApplied(req.config),
      },
    };
  }
  return { object: setManagedFields(merged, entries) };
}

/** The annotation value kubectl would write for this configuration. */
function lastApplied(config: JsonObject): string {
  const copy = cloneJson(config);
  if (isPlainObject(copy.metadata) && isPlainObject(copy.metadata.annotations)) {
    delete copy.metadata.annotations[LAST_APPLIED_ANNOTATION];
  }
  return `${canonicalJson(copy)}\n`;
}

/** How a manager is named in conflict messages. */
export function describeManager(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  let out = JSON.stringify(e.manager);
  if (e.subresource) out += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') out += ` using ${e.apiVersion}`;
  return out;
}

/** 409 Conflict, one cause per field (reason FieldManagerConflict), worded as Kubernetes words it. */
export function applyConflictError(conflicts: ApplyConflict[]): ApiError {
  const sorted = [...conflicts].sort((a, b) => {
    const ka = managerIdentity(a.manager);
    const kb = managerIdentity(b.manager);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const causes = sorted.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathText(c.path),
  }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(sorted[0].manager)}: ${pathText(sorted[0].path)}`;
  } else {
    const lines: string[] = [];
    let current = '';
    for (const c of sorted) {
      const id = managerIdentity(c.manager);
      if (id !== current) {
        lines.push(`conflicts with ${describeManager(c.manager)}:`);
        current = id;
      }
      lines.push(`- ${pathText(c.path)}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
