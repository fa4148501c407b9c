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

/**
 * A custom resource's versions share one stored object (conversion "None"): each version serves
 * it under its own apiVersion, and writes store it under the CRD's storage version.
 */
function customForm(group: string, plural: string, version: string, storage: string): StoredForm {
  const name = `${group}/${plural}@${version}>${storage}`;
  let form = CUSTOM_FORMS.get(name);
  if (!form) {
    const served = `${group}/${version}`;
    const stored = `${group}/${storage}`;
    form = {
      name,
      fromStored: (o) => (o.apiVersion === served ? o : { ...o, apiVersion: served }),
      toStored: (o) => (o.apiVersion === stored ? o : { ...o, apiVersion: stored }),
    };
    CUSTOM_FORMS.set(name, form);
  }
  return form;
}
const CUSTOM_FORMS = new Map<string, StoredForm>();

/** How `r` converts to its stored form, or undefined when it is stored as it is served. */
export function storedFormOf(
  r: Pick<ResourceInfo, 'group' | 'plural'> & Partial<Pick<ResourceInfo, 'custom' | 'version'>>,
): StoredForm | undefined {
  if (r.custom && r.version) return customForm(r.group, r.plural, r.version, r.custom.storageVersion);
  return r.group === 'events.k8s.io' && r.plural === 'events' ? EVENTS_V1 : undefined;
}
