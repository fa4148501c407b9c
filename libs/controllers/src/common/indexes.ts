// Informer indices the workload controllers share (one function per name: a shared informer
// refuses the same index name with another function).
import type { IndexFunc } from '@flotilla/client';
import { controllerRefOf } from './controller-ref';

export const CONTROLLER_UID_INDEX = 'controller-uid';

/** Objects by the uid of their controller; objects without one under "" (orphans). */
export const byControllerUid: IndexFunc = (obj) => [controllerRefOf(obj)?.uid ?? ''];
