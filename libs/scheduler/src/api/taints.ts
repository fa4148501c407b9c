// Taints and tolerations, as corev1's ToleratesTaint: an empty effect or key in a toleration
// matches any; operator Exists matches any value, Equal (or empty) the same value.
import type { Taint, Toleration } from './types';

export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function isTolerated(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint passing `include` that no toleration tolerates. */
export function firstUntolerated(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  include: (taint: Taint) => boolean,
): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) if (include(taint) && !isTolerated(taint, tolerations)) return taint;
  return undefined;
}
