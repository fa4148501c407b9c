import { ApiError, type KubeObject } from '@flotilla/api';
import { FakeClock, FakeCluster, settle } from '../testing';
import { EVENT_BROADCASTER_DEFAULTS, EventBroadcaster } from './event-broadcaster';
import type { EventV1 } from './event-types';
import { coreV1EventSink, eventsV1Sink, type EventSink } from './sinks';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '7' },
};
const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-n1' } };

describe('EventBroadcaster', () => {
  let clock: FakeClock;
  let cluster: FakeCluster;

  beforeEach(() => {
    clock = new FakeClock();
    cluster = new FakeCluster({ clock });
  });

  const v1Events = (ns: string) => cluster.resource('events.events.k8s.io', ns);

  it('writes an event once and its repeats as a series, finishing the count when they stop', async () => {
    const b = new EventBroadcaster({ sink: eventsV1Sink(v1Events), clock, random: () => 0 });
    const rec = b.newRecorder({
      reportingController: 'flotilla.io/test',
      reportingInstance: 'test-m1',
    });
    for (let i = 0; i < 5; i++) {
      rec.eventf(
        pod,
        undefined,
        'Warning',
        'FailedSync',
        'Sync',
        'sync failed: %s',
        `attempt ${i}`,
      );
      await clock.advance(1000);
    }
    await b.flush();
    expect(cluster.callCount('create')).toBe(1);
    expect(cluster.callCount('patch')).toBe(1); // the second occurrence starts the series
    let [ev] = (await v1Events('shop').list()).items as EventV1[];
    expect(ev).toMatchObject({
      reason: 'FailedSync',
      action: 'Sync',
      type: 'Warning',
      note: 'sync failed: attempt 0',
      reportingController: 'flotilla.io/test',
      reportingInstance: 'test-m1',
      regarding: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u-1', apiVersion: 'v1' },
      series: { count: 2 },
    });
    expect(ev.metadata.name).toMatch(/^web-1\.[0-9a-f]+$/);
    expect(ev.eventTime).toMatch(/\.\d{6}Z$/);

    // The check runs every six minutes; the first one after six quiet minutes finishes the
    // series and writes its final count.
    await clock.advance(EVENT_BROADCASTER_DEFAULTS.finishMs);
    await b.flush();
    expect(((await v1Events('shop').list()).items[0] as EventV1).series!.count).toBe(2);
    await clock.advance(EVENT_BROADCASTER_DEFAULTS.finishMs);
    await b.flush();
    [ev] = (await v1Events('shop').list()).items as EventV1[];
    expect(ev.series!.count).toBe(5);
    expect(Date.parse(ev.series!.lastObservedTime)).toBe(Date.parse(ev.eventTime) + 4000);
    expect(cluster.callCount('create')).toBe(1);
    b.shutdown();
  });

  it('keeps apart events that differ in reason, type, action, object or reporter', async () => {
    const b = new EventBroadcaster({ sink: eventsV1Sink(v1Events), clock });
    const one = b.newRecorder({ reportingController: 'a', reportingInstance: 'a-1' });
    const two = b.newRecorder({ reportingController: 'b', reportingInstance: 'b-1' });
    one.eventf(pod, undefined, 'Normal', 'Scheduled', 'Binding', 'assigned');
    one.eventf(pod, undefined, 'Normal', 'Pulled', 'Binding', 'assigned');
    one.eventf(pod, undefined, 'Warning', 'Scheduled', 'Binding', 'assigned');
    one.eventf(pod, node, 'Normal', 'Scheduled', 'Binding', 'assigned');
    two.eventf(pod, undefined, 'Normal', 'Scheduled', 'Binding', 'assigned');
    one.eventf(node, undefined, 'Normal', 'Scheduled', 'Binding', 'assigned');
    // Same key, other note: still a repeat (the note is not part of the key).
    one.eventf(pod, undefined, 'Normal', 'Scheduled', 'Binding', 'assigned elsewhere');
    await b.flush();
    expect(cluster.callCount('create')).toBe(6);
    expect(
      (await v1Events('default').list()).items.map((e) => (e as EventV1).regarding.name),
    ).toEqual(['n1']);
    b.shutdown();
  });

  it('never blocks or throws at the caller, retries an unreachable server and gives up in the end', async () => {
    const errors: string[] = [];
    let calls = 0;
    const sink: EventSink = {
      create: () => {
        calls++;
        return Promise.reject(new Error('connect ECONNREFUSED'));
      },
      patchSeries: () => Promise.reject(new Error('unused')),
    };
    const b = new EventBroadcaster({
      sink,
      clock,
      random: () => 0,
      onError: (e) => errors.push(String(e)),
    });
    const rec = b.newRecorder({ reportingController: 'c' });
    expect(() => rec.eventf(pod, undefined, 'Normal', 'R', 'A', 'n')).not.toThrow();
    await settle();
    expect(calls).toBe(1);
    await clock.advance(EVENT_BROADCASTER_DEFAULTS.retrySleepMs * 11);
    expect(calls).toBe(EVENT_BROADCASTER_DEFAULTS.maxTries);
    expect(errors.at(-1)).toMatch(/not written after 12 tries/);
    expect(b.pending).toBe(0);
    b.shutdown();
  });

  it('drops an event the server rejects, and events past the queue limit', async () => {
    const errors: unknown[] = [];
    cluster.failNext(new ApiError(422, 'Invalid', 'bad event'), { verb: 'create' });
    const b = new EventBroadcaster({
      sink: eventsV1Sink(v1Events),
      clock,
      maxQueued: 2,
      workers: 1,
      onError: (e) => errors.push(e),
    });
    const rec = b.newRecorder({ reportingController: 'c' });
    for (const reason of ['R1', 'R2', 'R3', 'R4'])
      rec.eventf(pod, undefined, 'Normal', reason, 'A', 'n');
    rec.eventf({ metadata: { name: 'no-kind' } } as KubeObject, undefined, 'Normal', 'R', 'A', 'n');
    rec.eventf(pod, undefined, 'Bogus' as 'Normal', 'R', 'A', 'n');
    await b.flush();
    // R1 went to the one worker and was rejected; R2 and R3 queued; R4 found the queue full.
    expect((await v1Events('shop').list()).items.map((e) => (e as EventV1).reason)).toEqual([
      'R2',
      'R3',
    ]);
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/too many queued events/),
      expect.stringMatching(/no kind or no name/),
      expect.stringMatching(/unsupported event type/),
      expect.stringMatching(/bad event/),
    ]);
    b.shutdown();
  });

  it('creates a series again when the event it patches is gone', async () => {
    const b = new EventBroadcaster({ sink: eventsV1Sink(v1Events), clock });
    const rec = b.newRecorder({ reportingController: 'c' });
    rec.eventf(pod, undefined, 'Normal', 'R', 'A', 'n');
    await b.flush();
    const [ev] = (await v1Events('shop').list()).items;
    await v1Events('shop').delete(ev.metadata.name!);
    rec.eventf(pod, undefined, 'Normal', 'R', 'A', 'n');
    await b.flush();
    const [again] = (await v1Events('shop').list()).items as EventV1[];
    expect(again.metadata.name).toBe(ev.metadata.name);
    expect(again.series?.count).toBe(2);
    b.shutdown();
  });

  it('rewrites the count of a long-running series every 30 minutes', async () => {
    const b = new EventBroadcaster({ sink: eventsV1Sink(v1Events), clock });
    const rec = b.newRecorder({ reportingController: 'c' });
    for (let t = 0; t < 31 * 60; t += 60) {
      rec.eventf(pod, undefined, 'Warning', 'BackOff', 'Restart', 'back-off');
      await clock.advance(60_000);
    }
    await b.flush();
    const [ev] = (await v1Events('shop').list()).items as EventV1[];
    expect(ev.series!.count).toBe(30); // as of the refresh at minute 30
    b.shutdown();
  });

  it('writes core/v1 events that kubectl get events and describe read', async () => {
    const core = (ns: string) => cluster.resource('events', ns);
    const b = new EventBroadcaster({ sink: coreV1EventSink(core), clock });
    const rec = b.newRecorder({
      reportingController: 'flotilla.io/scheduler',
      reportingInstance: 'scheduler-m1',
    });
    rec.eventf(
      pod,
      node,
      'Normal',
      'Scheduled',
      'Binding',
      'Successfully assigned shop/web-1 to n1',
    );
    rec.eventf(
      pod,
      node,
      'Normal',
      'Scheduled',
      'Binding',
      'Successfully assigned shop/web-1 to n1',
    );
    await b.flush();
    const [ev] = (
      await core('shop').list({
        fieldSelector: 'involvedObject.name=web-1,involvedObject.kind=Pod',
      })
    ).items;
    expect(ev).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u-1' },
      related: { kind: 'Node', name: 'n1' },
      reason: 'Scheduled',
      message: 'Successfully assigned shop/web-1 to n1',
      type: 'Normal',
      action: 'Binding',
      reportingComponent: 'flotilla.io/scheduler',
      reportingInstance: 'scheduler-m1',
      series: { count: 2 },
    });
    b.shutdown();
  });
});
