// events.k8s.io/v1 Event.
import type { KindModule } from '../kind-module';
import { kindFields } from '../meta';
import { EVENT_PRINTER, eventFields, eventFieldValue } from '../core/event';
import { resource } from '../resource';

const EVENTS = 'io.k8s.api.events.v1.';

export const eventsEventKind: KindModule = {
  resource: resource('events.k8s.io', 'Event', 'events', { shortNames: ['ev'] }),
  definitions: {
    [`${EVENTS}Event`]: {
      description: 'A report of an event somewhere in the cluster.',
      fields: kindFields({
        eventTime: 'time',
        series: 'any',
        reportingController: 'string',
        reportingInstance: 'string',
        action: 'string',
        reason: 'string',
        regarding: 'any',
        related: 'any',
        note: 'string',
        type: 'string',
        deprecatedSource: 'any',
        deprecatedFirstTimestamp: 'time',
        deprecatedLastTimestamp: 'time',
        deprecatedCount: 'integer',
      }),
      gvk: { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
    },
  },
  selectableFields: eventFields(),
  fieldValue: eventFieldValue,
  printer: EVENT_PRINTER,
};
