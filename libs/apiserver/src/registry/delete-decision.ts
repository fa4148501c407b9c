import { isPlainObject, KubeObject } from '@flotilla/api';
import { timestamp } from './request-checks';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** What a DELETE does to an object: remove it now, or mark it and keep it (graceful). */
export type DeleteDecision =
  | { kind: 'remove' }
  | { kind: 'mark'; object: KubeObject }
  /** Already being deleted and this request changes nothing. */
  | { kind: 'unchanged' };

const DEFAULT_POD_GRACE = 30;

/**
 * Kubernetes' graceful deletion rules: objects with finalizers get a deletionTimestamp and stay
 * until their finalizers are gone; pods bound to a node get a deletionTimestamp and a grace
 * period and stay until deleted with grace 0 (the kubelet does that once the containers are
 * gone); unbound or finished pods go at once; namespaces turn Terminating (the namespace
 * controller empties and removes them).
 */
export function decideDelete(
  resource: { group: string; plural: string },
  obj: KubeObject,
  opts: DeleteOptions,
  now: Date,
): DeleteDecision {
  const meta = obj.metadata;
  if (isNamespaces(resource)) {
    // A terminating namespace goes once it is finalized (the namespace controller emptied it).
    if (meta.deletionTimestamp)
      return finishesDeletion(resource, obj) ? { kind: 'remove' } : { kind: 'unchanged' };
    return {
      kind: 'mark',
      object: {
        ...obj,
        metadata: { ...meta, deletionTimestamp: timestamp(now), deletionGracePeriodSeconds: 0 },
        status: { ...(isPlainObject(obj.status) ? obj.status : {}), phase: 'Terminating' },
      },
    };
  }
  let grace = 0;
  if (resource.group === '' && resource.plural === 'pods') {
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    const phase = isPlainObject(obj.status) ? obj.status.phase : undefined;
    const bound = typeof spec.nodeName === 'string' && spec.nodeName !== '';
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const asked =
      opts.gracePeriodSeconds ??
      (typeof spec.terminationGracePeriodSeconds === 'number'
        ? spec.terminationGracePeriodSeconds
        : DEFAULT_POD_GRACE);
    grace = bound && !finished ? Math.max(0, asked) : 0;
  }
  const finalizers = meta.finalizers ?? [];
  if (meta.deletionTimestamp) {
    // A shorter grace period may cut a pending deletion short; never lengthen it.
    const current = meta.deletionGracePeriodSeconds ?? 0;
    if (grace >= current) return { kind: 'unchanged' };
    if (grace === 0 && finalizers.length === 0) return { kind: 'remove' };
    return {
      kind: 'mark',
      object: {
        ...obj,
        metadata: {
          ...meta,
          deletionTimestamp: timestamp(new Date(now.getTime() + grace * 1000)),
          deletionGracePeriodSeconds: grace,
        },
      },
    };
  }
  if (grace === 0 && finalizers.length === 0) return { kind: 'remove' };
  return {
    kind: 'mark',
    object: {
      ...obj,
      metadata: {
        ...meta,
        deletionTimestamp: timestamp(new Date(now.getTime() + grace * 1000)),
        deletionGracePeriodSeconds: grace,
      },
    },
  };
}

const isNamespaces = (r: { group: string; plural: string }) =>
  r.group === '' && r.plural === 'namespaces';

/**
 * An update that leaves a deleting object with no finalizers and no grace left removes it; a
 * namespace also waits for its spec.finalizers (the `kubernetes` one is the namespace
 * controller's, removed through namespaces/<n>/finalize once the namespace is empty).
 */
export function finishesDeletion(
  resource: { group: string; plural: string },
  obj: KubeObject,
): boolean {
  const m = obj.metadata;
  const done =
    m.deletionTimestamp !== undefined &&
    (m.finalizers ?? []).length === 0 &&
    (m.deletionGracePeriodSeconds ?? 0) === 0;
  if (!done || !isNamespaces(resource)) return done;
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  return !Array.isArray(spec.finalizers) || spec.finalizers.length === 0;
}
