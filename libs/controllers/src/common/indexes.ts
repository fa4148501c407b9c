// Informer indices the workload controllers share (one function per name: a shared informer
// refuses the same index name with another function). The controller-uid index lives with the
// claim it serves.
export { byControllerUid, CONTROLLER_UID_INDEX } from './controller-ref';
