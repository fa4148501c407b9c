// events.k8s.io/v1 Event.
import type { KindModule } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { EVENT_PRINTER, eventFields, eventFieldValue } from '../core/event';
import { resource } from '../resource';

const EVENTS = 'io.k8s.api.events.v1.';

// Field tables: k8s.io/api events/v1 generated.proto numbers, types.go pointers and omitempty. Its
// Event, EventList and EventSeries share short names with core/v1 messages; its deprecatedSource
// is core/v1's EventSource.
const declared = declareKind({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  package: 'k8s.io.api.events.v1',
  prefix: EVENTS,
  descriptions: {
    Event: 'A report of an event somewhere in the cluster.',
    EventSeries: 'Data on a series of events that happened again and again.',
  },
  refs: { EventSource: `${CORE}EventSource` },
  messages: {
    Event: [
      '1 metadata! ObjectMeta',
      '2 eventTime! MicroTime',
      '3 series *EventSeries',
      '4 reportingController string',
      '5 reportingInstance string',
      '6 action string',
      '7 reason string',
      '8 regarding ObjectReference',
      '9 related *ObjectReference',
      '10 note string',
      '11 type string',
      '12 deprecatedSource EventSource',
      '13 deprecatedFirstTimestamp Time',
      '14 deprecatedLastTimestamp Time',
      '15 deprecatedCount int32',
    ],
    EventSeries: ['1 count! int32', '2 lastObservedTime! MicroTime'],
    EventList: ['1 metadata ListMeta', '2 items! []Event'],
  },
});
// As Kubernetes' OpenAPI has it (declareKind marks no field of the kind itself required).
declared.definitions[`${EVENTS}Event`].required = ['eventTime'];

export const eventsEventKind: KindModule = {
  resource: resource('events.k8s.io', 'Event', 'events', { shortNames: ['ev'] }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  selectableFields: eventFields(),
  fieldValue: eventFieldValue,
  printer: EVENT_PRINTER,
};
