// Recorded events go out in the background: each distinct event (same type, action, reason,
// reporter, regarding and related object) is created once; repeats become a series on it, as
// client-go's tools/events broadcaster does. Writing never blocks or fails the caller.
import { isApiError, nameProblems, type KubeObject } from '@flotilla/api';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { format } from 'node:util';
import { formatMicroTime, jitter, realClock, sleep, type Clock, type TimerHandle } from '../clock';
import { referenceTo, type EventType, type EventV1, type ObjectReference } from './event-types';
import type { EventSink } from './sinks';

/** client-go's tools/events constants. */
export const EVENT_BROADCASTER_DEFAULTS = Object.freeze({
  /** Events waiting to be written; more are dropped. */
  maxQueued: 1000,
  /** Writes in flight at once (client-go runs 8 record workers). */
  workers: 8,
  /** Tries per write when the server cannot be reached. */
  maxTries: 12,
  /** Between tries, stretched by up to 25 %. */
  retrySleepMs: 10_000,
  /** A series not seen for this long is finished: its final count is written and it is forgotten. */
  finishMs: 6 * 60_000,
  /** Every series still going is rewritten this often, so its count does not go stale. */
  refreshMs: 30 * 60_000,
});

export interface EventBroadcasterOptions {
  sink: EventSink;
  clock?: Clock;
  random?: () => number;
  maxQueued?: number;
  workers?: number;
  maxTries?: number;
  retrySleepMs?: number;
  finishMs?: number;
  refreshMs?: number;
  /** Told of events dropped or not written (to log them). */
  onError?: (err: unknown, event: EventV1 | undefined) => void;
}

export interface RecorderIdentity {
  /** e.g. "flotilla.io/replicaset-controller". */
  reportingController: string;
  /** Which instance of it, e.g. "replicaset-controller-m1" (default: controller-hostname). */
  reportingInstance?: string;
}

type Regarding = KubeObject | ObjectReference;

export interface EventRecorder {
  /**
   * Records an event about `regarding` (and optionally `related`): `note` is formatted with
   * `args` as util.format does. Returns at once; the write happens in the background.
   */
  eventf(
    regarding: Regarding,
    related: Regarding | undefined,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    ...args: unknown[]
  ): void;
}

export class EventBroadcaster {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly o: Required<Omit<EventBroadcasterOptions, 'onError' | 'clock' | 'random'>>;
  /** The events written, by what makes two events "the same" (client-go's eventKey). */
  private readonly cache = new Map<string, EventV1>();
  private readonly queue: EventV1[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly stopSignal = new AbortController();
  private readonly timers = new Map<string, TimerHandle>();
  private nameCounter = 0;

  constructor(private readonly opts: EventBroadcasterOptions) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    const d = EVENT_BROADCASTER_DEFAULTS;
    this.o = {
      sink: opts.sink,
      maxQueued: opts.maxQueued ?? d.maxQueued,
      workers: opts.workers ?? d.workers,
      maxTries: opts.maxTries ?? d.maxTries,
      retrySleepMs: opts.retrySleepMs ?? d.retrySleepMs,
      finishMs: opts.finishMs ?? d.finishMs,
      refreshMs: opts.refreshMs ?? d.refreshMs,
    };
    this.every('finish', this.o.finishMs, () => this.finishSeries());
    this.every('refresh', this.o.refreshMs, () => this.refreshSeries());
  }

  newRecorder(identity: RecorderIdentity): EventRecorder {
    const reportingController = identity.reportingController;
    const reportingInstance = identity.reportingInstance ?? `${reportingController}-${hostname()}`;
    return {
      eventf: (regarding, related, type, reason, action, note, ...args) => {
        try {
          this.record(
            regarding,
            related,
            type,
            reason,
            action,
            args.length ? format(note, ...args) : note,
            {
              reportingController,
              reportingInstance,
            },
          );
        } catch (err) {
          this.report(err, undefined);
        }
      },
    };
  }

  /** Events waiting or being written. */
  get pending(): number {
    return this.queue.length + this.active;
  }

  /** Resolves when nothing is waiting or being written (for tests and graceful shutdown). */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the timers and retries; writes in flight are left to finish on their own. */
  shutdown(): void {
    this.stopped = true;
    this.stopSignal.abort();
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    if (this.active === 0) this.wakeIdle();
  }

  private record(
    regardingIn: Regarding,
    relatedIn: Regarding | undefined,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    who: Required<RecorderIdentity>,
  ): void {
    if (this.stopped) return;
    if (type !== 'Normal' && type !== 'Warning')
      throw new Error(`unsupported event type "${String(type)}"`);
    const regarding = referenceTo(regardingIn);
    if (!regarding.kind || !regarding.name) {
      throw new Error('could not construct a reference to the object: it has no kind or no name');
    }
    const related = relatedIn ? referenceTo(relatedIn) : undefined;
    const now = this.clock.now();
    const event: EventV1 = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: this.eventName(regarding.name, now),
        namespace: regarding.namespace || 'default',
      },
      eventTime: formatMicroTime(now),
      reportingController: who.reportingController,
      reportingInstance: who.reportingInstance,
      action,
      reason,
      regarding,
      ...(related ? { related } : {}),
      note,
      type,
    };
    const key = eventKey(event);
    const known = this.cache.get(key);
    if (!known) {
      this.cache.set(key, event);
      this.enqueue(structuredClone(event));
      return;
    }
    if (known.series) {
      // Counted only: the count is written when the series is refreshed or finished.
      known.series = { count: known.series.count + 1, lastObservedTime: formatMicroTime(now) };
      return;
    }
    known.series = { count: 2, lastObservedTime: formatMicroTime(now) };
    this.enqueue(structuredClone(known));
  }

  private enqueue(event: EventV1): void {
    if (this.queue.length >= this.o.maxQueued) {
      this.report(new Error('too many queued events: event dropped'), event);
      return;
    }
    this.queue.push(event);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.o.workers && this.queue.length > 0) {
      const event = this.queue.shift()!;
      this.active++;
      void this.attempt(event).finally(() => {
        this.active--;
        this.pump();
        if (this.pending === 0) this.wakeIdle();
      });
    }
  }

  /** Writes with retries while the server is out of reach; returns whether it was written. */
  private async attempt(event: EventV1): Promise<boolean> {
    for (let tries = 1; ; tries++) {
      const outcome = await this.write(event);
      if (outcome !== 'retry') return outcome === 'written';
      if (tries >= this.o.maxTries || this.stopped) {
        this.report(new Error(`event not written after ${tries} tries`), event);
        return false;
      }
      await sleep(
        this.clock,
        jitter(this.o.retrySleepMs, 0.25, this.random),
        this.stopSignal.signal,
      );
    }
  }

  private async write(event: EventV1): Promise<'written' | 'dropped' | 'retry'> {
    const isSeries = event.series !== undefined;
    try {
      if (isSeries) {
        try {
          await this.o.sink.patchSeries(event);
          return 'written';
        } catch (err) {
          // The event may have been deleted (or expired): create it again, series and all.
          if (!(isApiError(err) && err.code === 404)) throw err;
        }
      }
      const create = structuredClone(event);
      delete create.metadata.resourceVersion;
      await this.o.sink.create(create);
      return 'written';
    } catch (err) {
      if (!isApiError(err)) {
        this.report(err, event);
        return 'retry'; // the server could not be reached: hold on and try again
      }
      // Created twice in a blink (a series patched before its first create landed): try again.
      if (isSeries && err.code === 409 && err.reason === 'AlreadyExists') return 'retry';
      if (err.code !== 409) this.report(err, event);
      return 'dropped'; // the server rejected it: trying again would not help
    }
  }

  private finishSeries(): void {
    const cutoff = this.clock.now() - this.o.finishMs;
    for (const [key, event] of [...this.cache]) {
      const last = Date.parse(event.series ? event.series.lastObservedTime : event.eventTime);
      if (last >= cutoff) continue;
      this.cache.delete(key);
      if (event.series) this.enqueue(structuredClone(event)); // its final count
    }
  }

  private refreshSeries(): void {
    for (const event of this.cache.values()) if (event.series) this.enqueue(structuredClone(event));
  }

  private every(name: string, ms: number, fn: () => void): void {
    const tick = () => {
      if (this.stopped) return;
      fn();
      this.timers.set(name, this.clock.setTimeout(tick, ms));
    };
    this.timers.set(name, this.clock.setTimeout(tick, ms));
  }

  private eventName(refName: string, nowMs: number): string {
    // client-go: "<name>.<unix nanoseconds in hex>"; a counter stands in for the nanoseconds a
    // millisecond clock lacks, so two events in one millisecond get two names.
    const nanos = BigInt(nowMs) * 1_000_000n + BigInt(this.nameCounter++ % 1_000_000);
    const name = `${refName}.${nanos.toString(16)}`;
    return nameProblems(name, 'dns1123-subdomain').length === 0 ? name : randomUUID();
  }

  private report(err: unknown, event: EventV1 | undefined): void {
    try {
      this.opts.onError?.(err, event);
    } catch {
      // Logging must not break recording.
    }
  }

  private wakeIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** client-go's eventKey: type, action, reason, reporter, regarding and related (not the note). */
function eventKey(e: EventV1): string {
  return JSON.stringify([
    e.type,
    e.action,
    e.reason,
    e.reportingController,
    e.reportingInstance,
    refKey(e.regarding),
    e.related ? refKey(e.related) : null,
  ]);
}

function refKey(r: ObjectReference): unknown[] {
  return [r.kind, r.namespace, r.name, r.uid, r.apiVersion, r.resourceVersion, r.fieldPath];
}
