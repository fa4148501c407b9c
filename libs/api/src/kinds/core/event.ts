// core/v1 Event (and what events.k8s.io/v1 Event shares with it: selectable fields, columns).
import { age } from '../../age';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { KindModule, Printer } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { col, num, str } from '../printing';
import { resource } from '../resource';

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty. Event,
// EventList and EventSeries are also events.k8s.io/v1 messages; the protobuf registry tells them
// apart by package.
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'Event',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    Event: 'A report of an event somewhere in the cluster.',
    EventSource: 'The component (and host) an event comes from.',
    EventSeries: 'Data on a series of events that happened again and again.',
  },
  messages: {
    Event: [
      '1 metadata! ObjectMeta',
      '2 involvedObject! ObjectReference',
      '3 reason string',
      '4 message string',
      '5 source EventSource',
      '6 firstTimestamp Time',
      '7 lastTimestamp Time',
      '8 count int32',
      '9 type string',
      '10 eventTime MicroTime',
      '11 series *EventSeries',
      '12 action string',
      '13 related *ObjectReference',
      '14 reportingComponent! string',
      '15 reportingInstance! string',
    ],
    EventSource: ['1 component string', '2 host string'],
    EventSeries: ['1 count int32', '2 lastObservedTime MicroTime'],
    EventList: ['1 metadata ListMeta', '2 items! []Event'],
  },
});
// As Kubernetes' OpenAPI has it (declareKind marks no field of the kind itself required).
declared.definitions[`${CORE}Event`].required = ['metadata', 'involvedObject'];

/** The fields events can be selected by, under both the core and the events.k8s.io names. */
export function eventFields(): string[] {
  const ref = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];
  return [
    ...ref.map((f) => `involvedObject.${f}`),
    ...ref.map((f) => `regarding.${f}`),
    'reason',
    'reportingComponent',
    'reportingController',
    'source',
    'type',
  ];
}

/** The path a selectable field reads in an event of either group (the names are interchangeable). */
export function eventFieldValue(o: KubeObject, field: string): string {
  let path = field;
  if (o.apiVersion === 'events.k8s.io/v1') {
    path = field.replace(/^involvedObject\./, 'regarding.');
    if (field === 'source') path = 'reportingController';
  } else if (field.startsWith('regarding.')) {
    path = field.replace(/^regarding\./, 'involvedObject.');
  } else if (field === 'source') {
    path = 'source.component';
  }
  const v = getPath(o, path);
  if (v === undefined || v === null) return '';
  return isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v);
}

function eventTimes(o: KubeObject): { last: unknown; first: unknown } {
  const last =
    o.lastTimestamp ??
    o.deprecatedLastTimestamp ??
    getPath(o, 'series.lastObservedTime') ??
    o.eventTime;
  const first = o.firstTimestamp ?? o.deprecatedFirstTimestamp ?? o.eventTime;
  return { last, first };
}

export const EVENT_PRINTER: Printer = {
  columns: [
    col('Last Seen', 'When the event was last observed.'),
    col('Type', 'Normal or Warning.'),
    col('Reason', 'A short reason for the event.'),
    col('Object', 'The object the event is about.'),
    col('Subobject', 'The part of the object the event is about.', { priority: 1 }),
    col('Source', 'The component that reported the event.', { priority: 1 }),
    col('Message', 'A human-readable description.'),
    col('First Seen', 'When the event was first observed.', { priority: 1 }),
    col('Count', 'How many times the event occurred.', { type: 'integer', priority: 1 }),
    col('Name', 'The name of the event object.', { format: 'name', priority: 1 }),
  ],
  cells: (o, now) => {
    const ref = isPlainObject(o.involvedObject)
      ? o.involvedObject
      : isPlainObject(o.regarding)
        ? o.regarding
        : {};
    const { last, first } = eventTimes(o);
    const source = isPlainObject(o.source)
      ? o.source
      : isPlainObject(o.deprecatedSource)
        ? o.deprecatedSource
        : {};
    const sourceText =
      [source.component, source.host].filter(Boolean).join(', ') ||
      str(o.reportingController ?? o.reportingComponent, '');
    return [
      age(last, now),
      str(o.type, ''),
      str(o.reason, ''),
      `${String(ref.kind ?? '').toLowerCase()}/${String(ref.name ?? '')}`,
      str(ref.fieldPath, ''),
      sourceText,
      str(o.message ?? o.note, ''),
      age(first, now),
      num(o.count ?? o.deprecatedCount ?? getPath(o, 'series.count') ?? 1) || 1,
      o.metadata.name ?? '',
    ];
  },
};

export const coreEventKind: KindModule = {
  resource: resource('', 'Event', 'events', { shortNames: ['ev'] }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  selectableFields: eventFields(),
  fieldValue: eventFieldValue,
  printer: EVENT_PRINTER,
};
