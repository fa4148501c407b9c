import type { KubeObject } from '@flotilla/api';

/** core/v1 ObjectReference: what an event is about. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventSeries {
  count: number;
  /** metav1.MicroTime */
  lastObservedTime: string;
}

/** An events.k8s.io/v1 Event. */
export interface EventV1 extends KubeObject {
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding: ObjectReference;
  related?: ObjectReference;
  note: string;
  type: EventType;
}

/** A reference to `obj` (which must carry kind and apiVersion, as objects from a typed read do). */
export function referenceTo(obj: KubeObject | ObjectReference): ObjectReference {
  if (!('metadata' in obj) || typeof obj.metadata !== 'object')
    return { ...(obj as ObjectReference) };
  const o = obj as KubeObject;
  const ref: ObjectReference = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    uid: o.metadata.uid,
    resourceVersion: o.metadata.resourceVersion,
  };
  for (const k of Object.keys(ref) as (keyof ObjectReference)[])
    if (ref[k] === undefined) delete ref[k];
  return ref;
}
