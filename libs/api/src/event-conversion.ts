// events.k8s.io/v1 Event and core/v1 Event are two views of one stored object, as in Kubernetes
// (pkg/apis/events/v1's conversion to the internal core Event): the server keeps the core form
// and converts on the way in and out of the events.k8s.io group, so an event written through
// either group shows in both (`kubectl describe` reads core/v1).
import type { KubeObject } from './object';

/** events.k8s.io/v1 field ↔ core/v1 field; the rest (metadata, reason, type, action, ...) keep their names. */
const RENAMED: readonly (readonly [events: string, core: string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

const SAME = ['related', 'reason', 'type', 'action', 'reportingInstance', 'eventTime', 'series'];

export const CORE_EVENT_API_VERSION = 'v1';
export const EVENTS_V1_API_VERSION = 'events.k8s.io/v1';

/** An events.k8s.io/v1 Event as the core/v1 Event it is stored as. */
export function coreEventFromEventsV1(ev: KubeObject): KubeObject {
  return convert(ev, CORE_EVENT_API_VERSION, (e, c) => [e, c]);
}

/** A stored core/v1 Event as events.k8s.io/v1 serves it. */
export function eventsV1FromCoreEvent(core: KubeObject): KubeObject {
  return convert(core, EVENTS_V1_API_VERSION, (e, c) => [c, e]);
}

function convert(
  from: KubeObject,
  apiVersion: string,
  direction: (events: string, core: string) => [source: string, target: string],
): KubeObject {
  const src = from as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { apiVersion, kind: 'Event', metadata: from.metadata };
  for (const [events, core] of RENAMED) {
    const [source, target] = direction(events, core);
    if (src[source] !== undefined) out[target] = src[source];
  }
  for (const field of SAME) if (src[field] !== undefined) out[field] = src[field];
  // The series' state field went away in events.k8s.io/v1; a core series may still carry it.
  if (apiVersion === EVENTS_V1_API_VERSION && isRecord(out.series) && 'state' in out.series) {
    const { state: _dropped, ...series } = out.series;
    out.series = series;
  }
  return out as unknown as KubeObject;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
