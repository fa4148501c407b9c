// Work queue metrics under client-go's names (k8s.io/component-base/metrics/prometheus/workqueue),
// labelled by queue name, on a registry the caller owns.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../clock';

/** 10 ns to 100 s, ten decades, as client-go's ExponentialBuckets(10e-9, 10, 10). */
const DURATION_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

interface Family {
  depth: Gauge;
  adds: Counter;
  latency: Histogram;
  workDuration: Histogram;
  unfinished: Gauge;
  longest: Gauge;
  retries: Counter;
  queues: Set<QueueMetrics<unknown>>;
}

const families = new WeakMap<Registry, Family>();

function familyFor(registry: Registry): Family {
  const known = families.get(registry);
  if (known) return known;
  const queues = new Set<QueueMetrics<unknown>>();
  const registers = [registry];
  const labelNames = ['name'];
  const family: Family = {
    queues,
    depth: new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames,
      registers,
    }),
    adds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames,
      registers,
    }),
    latency: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested.',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    // Computed when scraped, rather than on a 500 ms ticker as client-go does.
    unfinished: new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has done that is in progress and hasn't been observed by work_duration. " +
        'Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
      labelNames,
      registers,
      collect() {
        for (const q of queues) this.set({ name: q.name }, q.unfinishedSeconds());
      },
    }),
    longest: new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames,
      registers,
      collect() {
        for (const q of queues) this.set({ name: q.name }, q.longestRunningSeconds());
      },
    }),
    retries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames,
      registers,
    }),
  };
  families.set(registry, family);
  return family;
}

/** One queue's share of the metrics: when each item was added and when its processing started. */
export class QueueMetrics<T> {
  private readonly family: Family;
  private readonly addTimes = new Map<T, number>();
  private readonly startTimes = new Map<T, number>();

  constructor(
    readonly name: string,
    registry: Registry,
    private readonly clock: Clock,
  ) {
    this.family = familyFor(registry);
    this.family.queues.add(this as QueueMetrics<unknown>);
    // Every series exists from the start, so a dashboard shows 0 rather than nothing.
    const labels = { name };
    this.family.depth.set(labels, 0);
    this.family.adds.inc(labels, 0);
    this.family.retries.inc(labels, 0);
    this.family.unfinished.set(labels, 0);
    this.family.longest.set(labels, 0);
  }

  add(item: T): void {
    this.family.adds.inc({ name: this.name });
    this.family.depth.inc({ name: this.name });
    if (!this.addTimes.has(item)) this.addTimes.set(item, this.clock.now());
  }

  get(item: T): void {
    const now = this.clock.now();
    this.family.depth.dec({ name: this.name });
    this.startTimes.set(item, now);
    const added = this.addTimes.get(item);
    if (added !== undefined) {
      this.family.latency.observe({ name: this.name }, (now - added) / 1000);
      this.addTimes.delete(item);
    }
  }

  done(item: T): void {
    const started = this.startTimes.get(item);
    if (started === undefined) return;
    this.family.workDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
    this.startTimes.delete(item);
  }

  retry(): void {
    this.family.retries.inc({ name: this.name });
  }

  unfinishedSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const t of this.startTimes.values()) total += (now - t) / 1000;
    return total;
  }

  longestRunningSeconds(): number {
    const now = this.clock.now();
    let oldest = 0;
    for (const t of this.startTimes.values()) oldest = Math.max(oldest, (now - t) / 1000);
    return oldest;
  }
}
