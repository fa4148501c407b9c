// The naming decision for a CustomResourceDefinition (Kubernetes' naming controller): which of the
// requested names it may have, given the other CRDs and the built-in resources of its group, and
// the NamesAccepted / Established conditions that follow. Pure: the caller supplies the others and
// the time. Every master computes the same answer from the same stored objects.
import type { ResourceInfo } from '../catalog';
import { isPlainObject, jsonEqual, type JsonObject, type KubeObject } from '../object';

export interface CrdCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason: string;
  message: string;
}

const obj = (v: unknown): JsonObject => (isPlainObject(v) ? v : {});
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

interface Names {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

function namesOf(v: unknown): Names {
  const n = obj(v);
  const kind = typeof n.kind === 'string' ? n.kind : '';
  return {
    plural: typeof n.plural === 'string' ? n.plural : '',
    singular: typeof n.singular === 'string' ? n.singular : kind.toLowerCase(),
    kind,
    listKind: typeof n.listKind === 'string' ? n.listKind : kind ? `${kind}List` : '',
    shortNames: strings(n.shortNames),
    categories: strings(n.categories),
  };
}

const groupOf = (crd: KubeObject): string => String(obj(crd.spec).group ?? '');

/** Older first: who created a name first keeps it when two CRDs race for it. */
function older(a: KubeObject, b: KubeObject): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta !== tb ? ta < tb : (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** The names another CRD holds: the ones it was accepted with, or those it asks for if older. */
function heldBy(other: KubeObject, self: KubeObject): Names | undefined {
  const accepted = namesOf(obj(other.status).acceptedNames);
  if (accepted.plural) return accepted;
  return older(other, self) ? namesOf(obj(other.spec).names) : undefined;
}

/** Resource names (plural, singular, short names) share one namespace per group, kinds another. */
function conflict(wanted: Names, held: Names[]): { reason: string; message: string } | undefined {
  const resources = new Set(held.flatMap((n) => [n.plural, n.singular, ...n.shortNames]));
  const kinds = new Set(held.flatMap((n) => [n.kind, n.listKind]));
  const inUse = (reason: string, name: string) => ({
    reason,
    message: `"${name}" is already in use`,
  });
  if (resources.has(wanted.plural)) return inUse('PluralConflict', wanted.plural);
  if (resources.has(wanted.singular)) return inUse('SingularConflict', wanted.singular);
  const clash = wanted.shortNames.find((s) => resources.has(s));
  if (clash) return inUse('ShortNamesConflict', clash);
  if (kinds.has(wanted.kind)) return inUse('KindConflict', wanted.kind);
  if (kinds.has(wanted.listKind)) return inUse('ListKindConflict', wanted.listKind);
  return undefined;
}

function condition(
  prev: CrdCondition[],
  next: Omit<CrdCondition, 'lastTransitionTime'>,
  now: string,
): CrdCondition {
  const old = prev.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  return { ...next, lastTransitionTime };
}

/**
 * The status `crd` should have: accepted names and conditions (storedVersions kept as stored).
 * `builtins`: the resources not defined by CRDs.
 */
export function crdNamesStatus(
  crd: KubeObject,
  others: KubeObject[],
  builtins: readonly ResourceInfo[],
  now: string,
): JsonObject {
  const status = obj(crd.status);
  const prevConditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
    isPlainObject,
  ) as unknown as CrdCondition[];
  const group = groupOf(crd);
  const wanted = namesOf(obj(crd.spec).names);
  const held: Names[] = [];
  for (const other of others) {
    if (other.metadata.name === crd.metadata.name || groupOf(other) !== group) continue;
    const names = heldBy(other, crd);
    if (names) held.push(names);
  }
  for (const r of builtins) {
    if (r.group !== group) continue;
    held.push({
      plural: r.plural,
      singular: r.singular,
      kind: r.kind,
      listKind: r.listKind,
      shortNames: r.shortNames,
      categories: r.categories,
    });
  }
  const problem = conflict(wanted, held);
  const previouslyAccepted = namesOf(status.acceptedNames);
  const acceptedNames = problem ? obj(status.acceptedNames) : compact(wanted);
  const wasEstablished = prevConditions.some(
    (c) => c.type === 'Established' && c.status === 'True',
  );
  const established = !problem || (wasEstablished && previouslyAccepted.plural !== '');
  const conditions: CrdCondition[] = [
    condition(
      prevConditions,
      problem
        ? { type: 'NamesAccepted', status: 'False', ...problem }
        : {
            type: 'NamesAccepted',
            status: 'True',
            reason: 'NoConflicts',
            message: 'no conflicts found',
          },
      now,
    ),
    condition(
      prevConditions,
      established
        ? {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          }
        : {
            type: 'Established',
            status: 'False',
            reason: 'NotAccepted',
            message: 'not all names are accepted',
          },
      now,
    ),
  ];
  if (crd.metadata.deletionTimestamp) {
    conditions.push(
      condition(
        prevConditions,
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionInProgress',
          message: 'CustomResource deletion is in progress',
        },
        now,
      ),
    );
  }
  return { ...status, acceptedNames, conditions };
}

function compact(n: Names): JsonObject {
  const out: JsonObject = {
    plural: n.plural,
    singular: n.singular,
    kind: n.kind,
    listKind: n.listKind,
  };
  if (n.shortNames.length) out.shortNames = n.shortNames;
  if (n.categories.length) out.categories = n.categories;
  return out;
}

/** Whether the CRD's stored status says its resource is served. */
export function isEstablished(crd: KubeObject): boolean {
  const conditions = obj(crd.status).conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isPlainObject(c) && c.type === 'Established' && c.status === 'True') &&
    namesOf(obj(crd.status).acceptedNames).plural !== ''
  );
}

/** Whether two statuses say the same thing (ignoring nothing: times are kept when unchanged). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return jsonEqual(a, b);
}
