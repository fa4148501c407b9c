import { Registry } from 'prom-client';
import { sleep } from '../clock';
import { FakeClock, settle } from '../testing';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
} from './rate-limiters';
import { runWorkers } from './run-workers';
import { WorkQueue } from './work-queue';

async function take<T>(q: WorkQueue<T>): Promise<T> {
  const next = await q.get();
  if (next.shutdown) throw new Error('queue shut down');
  return next.item;
}

async function metric(
  registry: Registry,
  name: string,
  queue: string,
  suffix = '',
): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  const v = m.values.find(
    (x) =>
      x.labels.name === queue && (x as { metricName?: string }).metricName === `${name}${suffix}`,
  );
  const plain = m.values.find((x) => x.labels.name === queue);
  return (suffix ? v : plain)?.value ?? NaN;
}

describe('WorkQueue', () => {
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
  });

  it('queues an item added twice once, and one added while processed again after done', async () => {
    const q = new WorkQueue<string>({ clock });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.len()).toBe(2);
    expect(await take(q)).toBe('a');
    q.add('a'); // while being processed: not handed out again yet
    expect(q.len()).toBe(1);
    expect(await take(q)).toBe('b');
    let third: string | undefined;
    void q.get().then((n) => (third = n.item));
    await settle();
    expect(third).toBeUndefined();
    q.done('a');
    await settle();
    expect(third).toBe('a');
  });

  it('never gives one key to two workers at once, while different keys run side by side', async () => {
    const q = new WorkQueue<string>({ clock });
    const running = new Map<string, number>();
    let maxPerKey = 0;
    let maxOverall = 0;
    let syncs = 0;
    const workers = runWorkers(q, 4, async (key) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxPerKey = Math.max(maxPerKey, running.get(key)!);
      maxOverall = Math.max(
        maxOverall,
        [...running.values()].reduce((a, b) => a + b, 0),
      );
      syncs++;
      await sleep(clock, 10);
      running.set(key, running.get(key)! - 1);
    });
    for (let round = 0; round < 20; round++) {
      for (const k of ['x', 'y', 'x', 'z', 'x']) q.add(k);
      await clock.advance(3);
    }
    await clock.advance(100);
    q.shutDown();
    await workers;
    expect(maxPerKey).toBe(1);
    expect(maxOverall).toBeGreaterThan(1);
    // Repeats collapse: far fewer syncs than the 100 adds.
    expect(syncs).toBeLessThan(40);
  });

  it('backs off 5 ms doubling per failure up to 1000 s, and forget resets it', () => {
    const l = new ItemExponentialRateLimiter<string>(5, 1_000_000);
    expect([1, 2, 3, 4, 5].map(() => l.when('a'))).toEqual([5, 10, 20, 40, 80]);
    expect(l.numRequeues('a')).toBe(5);
    for (let i = 0; i < 30; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
    expect(l.when('b')).toBe(5);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
  });

  it('limits retries overall to a burst of 100 then 10 per second', () => {
    const bucket = new BucketRateLimiter<number>(10, 100, clock);
    const delays = Array.from({ length: 102 }, (_, i) => bucket.when(i));
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays[100]).toBeCloseTo(100);
    expect(delays[101]).toBeCloseTo(200);
    const both = defaultControllerRateLimiter<number>(clock);
    expect(both).toBeInstanceOf(MaxOfRateLimiter);
    for (let i = 0; i < 100; i++) expect(both.when(i)).toBe(5);
    expect(both.when(1000)).toBeCloseTo(100); // the bucket is empty: its wait is longer than 5 ms
  });

  it('re-adds a failed item after its back-off, growing with each failure', async () => {
    const q = new WorkQueue<string>({ clock });
    q.addRateLimited('a');
    await clock.advance(4);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await take(q)).toBe('a');
    q.done('a');
    q.addRateLimited('a');
    await clock.advance(9);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.numRequeues('a')).toBe(2);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('delays adds, keeping the sooner of two waits for one item', async () => {
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    q.addAfter('b', 0);
    expect(q.len()).toBe(1);
    expect(q.waiting).toBe(1);
    await clock.advance(49);
    expect(q.len()).toBe(1);
    await clock.advance(1);
    expect(q.len()).toBe(2);
    await clock.advance(500);
    expect(q.len()).toBe(2);
  });

  it('shuts down with drain: waits for in-flight work, ignores new adds, drops delayed ones', async () => {
    const q = new WorkQueue<string>({ clock });
    q.add('a');
    q.addAfter('later', 10);
    expect(await take(q)).toBe('a');
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    q.add('b');
    expect(q.len()).toBe(0);
    expect((await q.get()).shutdown).toBe(true);
    await clock.advance(100);
    expect(drained).toBe(false);
    q.done('a');
    await drain;
    expect(drained).toBe(true);
    expect(q.len()).toBe(0);
  });

  it('hands out items queued before shutdown, then tells workers to stop', async () => {
    const q = new WorkQueue<string>({ clock });
    q.add('a');
    q.add('b');
    q.shutDown();
    const seen: string[] = [];
    await runWorkers(q, 2, (k) => void seen.push(k));
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('retries failed syncs with back-off and drops an item after maxRetries', async () => {
    const q = new WorkQueue<string>({ clock });
    const attempts: number[] = [];
    const errors: boolean[] = [];
    const workers = runWorkers(
      q,
      1,
      () => {
        attempts.push(clock.now());
        throw new Error('not yet');
      },
      { maxRetries: 3, onError: (_e, _k, dropped) => errors.push(dropped) },
    );
    const t0 = clock.now();
    q.add('k');
    await clock.advance(1000);
    expect(attempts.map((t) => t - t0)).toEqual([0, 5, 15, 35]);
    expect(errors).toEqual([false, false, false, true]);
    expect(q.numRequeues('k')).toBe(0);
    q.shutDown();
    await workers;
  });

  it('keeps client-go metrics under the queue name', async () => {
    const registry = new Registry();
    const q = new WorkQueue<string>({ clock, name: 'pods', registry });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(await metric(registry, 'workqueue_depth', 'pods')).toBe(2);
    expect(await metric(registry, 'workqueue_adds_total', 'pods')).toBe(2);
    await clock.advance(2000);
    const a = await take(q);
    expect(await metric(registry, 'workqueue_depth', 'pods')).toBe(1);
    expect(await metric(registry, 'workqueue_queue_duration_seconds', 'pods', '_sum')).toBeCloseTo(
      2,
    );
    await clock.advance(3000);
    expect(await metric(registry, 'workqueue_unfinished_work_seconds', 'pods')).toBeCloseTo(3);
    expect(
      await metric(registry, 'workqueue_longest_running_processor_seconds', 'pods'),
    ).toBeCloseTo(3);
    q.done(a);
    expect(await metric(registry, 'workqueue_work_duration_seconds', 'pods', '_sum')).toBeCloseTo(
      3,
    );
    expect(await metric(registry, 'workqueue_work_duration_seconds', 'pods', '_count')).toBe(1);
    expect(await metric(registry, 'workqueue_unfinished_work_seconds', 'pods')).toBe(0);
    q.addRateLimited('a');
    expect(await metric(registry, 'workqueue_retries_total', 'pods')).toBe(1);
    // A second queue on the same registry is its own series.
    const other = new WorkQueue<string>({ clock, name: 'nodes', registry });
    other.add('n');
    expect(await metric(registry, 'workqueue_adds_total', 'nodes')).toBe(1);
    expect(await metric(registry, 'workqueue_adds_total', 'pods')).toBe(2);
  });
});
