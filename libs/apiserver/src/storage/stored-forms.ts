// A resource served by one group but stored as another group's kind converts on its way in and
// out of the store; today only events.k8s.io/v1 Events, kept as core/v1 Events so that both
// groups list, watch and write the same objects (Kubernetes' storage version).
import {
  coreEventFromEventsV1,
  eventsV1FromCoreEvent,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';

export interface StoredForm {
  /** Names the form in caches (`events.k8s.io/events`). */
  readonly name: string;
  /** The stored object as the resource serves it. */
  fromStored(o: KubeObject): KubeObject;
  /** The served object as it is stored. */
  toStored(o: KubeObject): KubeObject;
}

const EVENTS_V1: StoredForm = {
  name: 'events.k8s.io/events',
  fromStored: eventsV1FromCoreEvent,
  toStored: coreEventFromEventsV1,
};

/** How `r` converts to its stored form, or undefined when it is stored as it is served. */
export function storedFormOf(r: Pick<ResourceInfo, 'group' | 'plural'>): StoredForm | undefined {
  return r.group === 'events.k8s.io' && r.plural === 'events' ? EVENTS_V1 : undefined;
}
