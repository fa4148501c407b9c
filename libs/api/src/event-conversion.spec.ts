import { coreEventFromEventsV1, eventsV1FromCoreEvent } from './event-conversion';
import type { KubeObject } from './object';

const metadata = { name: 'web.1', namespace: 'default', uid: 'u1', resourceVersion: '7' };

const eventsV1 = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata,
  eventTime: '2026-01-02T03:04:05.000000Z',
  series: { count: 3, lastObservedTime: '2026-01-02T03:05:00.000000Z' },
  reportingController: 'deployment-controller',
  reportingInstance: 'deployment-controller-m1',
  action: 'Scaling',
  reason: 'ScalingReplicaSet',
  regarding: { kind: 'Deployment', namespace: 'default', name: 'web', uid: 'd1' },
  related: { kind: 'ReplicaSet', namespace: 'default', name: 'web-abc' },
  note: 'Scaled up replica set web-abc to 3',
  type: 'Normal',
  deprecatedSource: { component: 'deployment-controller' },
  deprecatedFirstTimestamp: '2026-01-02T03:04:05Z',
  deprecatedLastTimestamp: '2026-01-02T03:05:00Z',
  deprecatedCount: 3,
} as unknown as KubeObject;

const core = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata,
  eventTime: '2026-01-02T03:04:05.000000Z',
  series: { count: 3, lastObservedTime: '2026-01-02T03:05:00.000000Z' },
  reportingComponent: 'deployment-controller',
  reportingInstance: 'deployment-controller-m1',
  action: 'Scaling',
  reason: 'ScalingReplicaSet',
  involvedObject: { kind: 'Deployment', namespace: 'default', name: 'web', uid: 'd1' },
  related: { kind: 'ReplicaSet', namespace: 'default', name: 'web-abc' },
  message: 'Scaled up replica set web-abc to 3',
  type: 'Normal',
  source: { component: 'deployment-controller' },
  firstTimestamp: '2026-01-02T03:04:05Z',
  lastTimestamp: '2026-01-02T03:05:00Z',
  count: 3,
};

describe('events.k8s.io/v1 Event ↔ core/v1 Event', () => {
  it('renames every field that differs and keeps the rest', () => {
    expect(coreEventFromEventsV1(eventsV1)).toEqual(core);
    expect(eventsV1FromCoreEvent(core as unknown as KubeObject)).toEqual(eventsV1);
  });

  it('leaves absent fields absent, and drops the core series state events.k8s.io/v1 has not', () => {
    const bare = eventsV1FromCoreEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata,
      message: 'hello',
      series: { count: 2, lastObservedTime: '2026-01-02T03:05:00.000000Z', state: 'Ongoing' },
    } as unknown as KubeObject);
    expect(bare).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata,
      note: 'hello',
      series: { count: 2, lastObservedTime: '2026-01-02T03:05:00.000000Z' },
    });
  });
});
