/** The finalizers of garbage collection (metav1.FinalizerOrphanDependents, ...DeleteDependents). */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
