// Where recorded events are written: as events.k8s.io/v1 Events, or converted to core/v1 Events
// the way a Kubernetes API server converts between the two views of one stored Event.
import { apiErrors, type KubeObject } from '@flotilla/api';
import type { ResourceOps } from '../contract';
import type { EventV1 } from './event-types';

export interface EventSink {
  create(event: EventV1): Promise<unknown>;
  /** Writes event.series onto the event created earlier under the same name. */
  patchSeries(event: EventV1): Promise<unknown>;
}

/** The Event resource (of the sink's group) in one namespace. */
export type EventsIn = (namespace: string) => ResourceOps;

function namespaceOf(event: EventV1): string {
  const ns = event.metadata.namespace;
  if (!ns) throw apiErrors.badRequest("can't create an event with empty namespace");
  return ns;
}

/** Writes events.k8s.io/v1 Events through `events(ns)` (events.k8s.io/v1 `events` in ns). */
export function eventsV1Sink(events: EventsIn): EventSink {
  return {
    create: (event) => events(namespaceOf(event)).create(event),
    patchSeries: (event) =>
      events(namespaceOf(event)).patch(event.metadata.name!, { series: event.series }, 'merge'),
  };
}

/**
 * The core/v1 view of an events.k8s.io/v1 Event, field for field as Kubernetes converts it
 * (regarding → involvedObject, note → message, reportingController → reportingComponent).
 */
export function toCoreEvent(e: EventV1): KubeObject {
  const out: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: e.regarding,
    reason: e.reason,
    message: e.note,
    type: e.type,
    eventTime: e.eventTime,
    action: e.action,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
  };
  if (e.related) out.related = e.related;
  if (e.series) out.series = e.series;
  return out;
}

/** Writes the same events as core/v1 Events (what `kubectl get events` and `kubectl describe` read). */
export function coreV1EventSink(events: EventsIn): EventSink {
  return {
    create: (event) => events(namespaceOf(event)).create(toCoreEvent(event)),
    patchSeries: (event) =>
      events(namespaceOf(event)).patch(event.metadata.name!, { series: event.series }, 'merge'),
  };
}
