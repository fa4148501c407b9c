import type { UserInfo } from '../auth/user-info';
import { isPlainObject, KubeObject } from '@flotilla/api';
import { timestamp } from './request-checks';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  /** Who asked, for admission that depends on it (NodeRestriction). */
  user?: UserInfo;
}

/** What a DELETE does to an object: remove it now, or mark it and keep it (graceful). */
export type DeleteDecision =
  | { kind: 'remove' }
  | { kind: 'mark'; object: KubeObject }
  /** Already being deleted and this request changes nothing. */
  | { kind: 'unchanged' };

const DEFAULT_POD_GRACE = 30;

/** The finalizers the garbage collector acts on (metav1.FinalizerOrphanDependents, ...DeleteDependents). */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Kinds whose deletion takes no propagation policy (Kubernetes' GC policy "Unsupported"). */
const NO_GARBAGE_COLLECTION = new Set(['/events', 'events.k8s.io/events']);

/**
 * The finalizers an object should have once this DELETE applies its propagation policy (kube's
 * deletionFinalizersForGarbageCollection): Orphan adds `orphan`, Foreground adds
 * `foregroundDeletion`, Background drops both; with no policy, the ones it has stay. The default
 * policy of every kind served here is Background, as for apps/v1 and core/v1 objects.
 */
export function finalizersForPropagation(
  resource: { group: string; plural: string },
  obj: KubeObject,
  opts: DeleteOptions,
): string[] {
  const current = obj.metadata.finalizers ?? [];
  if (NO_GARBAGE_COLLECTION.has(`${resource.group}/${resource.plural}`)) return current;
  const has = (f: string) => current.includes(f);
  const policy = opts.propagationPolicy;
  const orphan = policy ? policy === 'Orphan' : has(ORPHAN_FINALIZER);
  const foreground = policy
    ? policy === 'Foreground'
    : !has(ORPHAN_FINALIZER) && has(FOREGROUND_FINALIZER);
  const next = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (orphan) next.push(ORPHAN_FINALIZER);
  if (foreground) next.push(FOREGROUND_FINALIZER);
  const same = next.length === current.length && next.every((f) => current.includes(f));
  return same ? current : next;
}

/**
 * Kubernetes' graceful deletion rules: objects with finalizers get a deletionTimestamp and stay
 * until their finalizers are gone; pods bound to a node get a deletionTimestamp and a grace
 * period and stay until deleted with grace 0 (the kubelet does that once the containers are
 * gone); unbound or finished pods go at once; namespaces turn Terminating (the namespace
 * controller empties and removes them). The propagation policy sets the garbage collector's
 * finalizers first (finalizersForPropagation); an object already being deleted may still have
 * them changed, unless it is waiting out a grace period.
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
  const finalizers = finalizersForPropagation(resource, obj, opts);
  const before = meta.finalizers ?? [];
  const finalizersChanged =
    finalizers.length !== before.length || finalizers.some((f, i) => f !== before[i]);
  const withFinalizers = (m: KubeObject['metadata']) => {
    const out = { ...m };
    if (finalizers.length > 0) out.finalizers = finalizers;
    else delete out.finalizers;
    return out;
  };
  if (meta.deletionTimestamp) {
    const current = meta.deletionGracePeriodSeconds ?? 0;
    if (current > 0) {
      // Waiting out a grace period: only a shorter one changes anything (never the finalizers).
      if (opts.gracePeriodSeconds === undefined || grace >= current) return { kind: 'unchanged' };
      if (grace === 0 && (meta.finalizers ?? []).length === 0) return { kind: 'remove' };
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
    // Waiting for finalizers: the policy may still change the garbage collector's ones.
    if (finalizers.length === 0) return { kind: 'remove' };
    if (!finalizersChanged) return { kind: 'unchanged' };
    return { kind: 'mark', object: { ...obj, metadata: withFinalizers(meta) } };
  }
  if (grace === 0 && finalizers.length === 0) return { kind: 'remove' };
  const marked = withFinalizers({
    ...meta,
    deletionTimestamp: timestamp(new Date(now.getTime() + grace * 1000)),
    deletionGracePeriodSeconds: grace,
  });
  // Deletion is a change of the object's spec-level state: its generation moves on.
  if (typeof meta.generation === 'number' && meta.generation > 0)
    marked.generation = meta.generation + 1;
  return { kind: 'mark', object: { ...obj, metadata: marked } };
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
