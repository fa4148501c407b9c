// Watch fan-out: N watchers on one prefix, spread over a few connections (one Watch stream per
// connection, many watches per stream, as etcd's own client multiplexes them), and one writer
// putting at a fixed pace. Delivery latency = event arrival minus the writer's ack, both read from
// this process's clock; it can be slightly negative when the event beats the ack.
import { performance } from 'node:perf_hooks';
import { ClientDuplexStream } from '@grpc/grpc-js';
import { KvClient } from './client';
import { errorText } from './closed-loop';
import { WatchRequest, WatchResponse } from './etcd-wire';
import { namespacePrefix, podIndexOf, podKey, prefixEnd } from './keys';
import { Samples } from './stats';
import { sleep } from './cluster';

const WATCHERS_PER_STREAM = 100;
const SETUP_TIMEOUT_MS = 30_000;

export interface FanoutSpec {
  /** Member endpoints; watch streams are spread over them, the writer uses the first. */
  endpoints: string[];
  watchers: number;
  writes: number;
  intervalMs: number;
  drainMs: number;
  /** Unique per run so one run's events never reach another's watchers. */
  namespace: string;
}

export async function runWatchFanout(spec: FanoutSpec): Promise<Samples> {
  const samples = new Samples();
  const streamCount = Math.max(1, Math.ceil(spec.watchers / WATCHERS_PER_STREAM));
  const clients = Array.from(
    { length: streamCount },
    (_, i) => new KvClient(spec.endpoints[i % spec.endpoints.length]),
  );
  const writer = new KvClient(spec.endpoints[0]);
  const streams: ClientDuplexStream<WatchRequest, WatchResponse>[] = [];
  const arrivals: number[][] = Array.from({ length: spec.writes }, () => []);
  const prefix = namespacePrefix(spec.namespace);
  let created = 0;
  // Our own cancel() at the end surfaces as a CANCELLED error on each stream: not a failure.
  let closing = false;
  try {
    for (const [i, client] of clients.entries()) {
      const stream = client.watchStream();
      streams.push(stream);
      stream.on('data', (res: WatchResponse) => {
        const now = performance.now();
        if (res.created) created++;
        if (res.canceled) samples.addError(`watch canceled: ${res.cancel_reason ?? ''}`);
        for (const ev of res.events ?? []) {
          const index = ev.kv === undefined ? -1 : podIndexOf(ev.kv.key);
          if (index >= 0 && index < spec.writes) arrivals[index].push(now);
        }
      });
      stream.on('error', (err) => {
        if (!closing) samples.addError(`watch stream: ${errorText(err)}`);
      });
      const mine = Math.min(WATCHERS_PER_STREAM, spec.watchers - i * WATCHERS_PER_STREAM);
      for (let w = 0; w < mine; w++) {
        stream.write({ create_request: { key: prefix, range_end: prefixEnd(prefix) } });
      }
    }
    const setupDeadline = Date.now() + SETUP_TIMEOUT_MS;
    while (created < spec.watchers && Date.now() < setupDeadline) await sleep(20);
    if (created < spec.watchers) {
      samples.addError(`only ${created} of ${spec.watchers} watches created`);
      return samples;
    }

    const value = Buffer.alloc(256, 0x77);
    const acks: number[] = new Array<number>(spec.writes).fill(Number.NaN);
    const start = performance.now();
    for (let i = 0; i < spec.writes; i++) {
      const due = start + i * spec.intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      try {
        await writer.put({ key: podKey(spec.namespace, i), value }, 10_000);
        acks[i] = performance.now();
      } catch (err) {
        samples.addError(`write: ${errorText(err)}`);
      }
    }
    const drainDeadline = performance.now() + spec.drainMs;
    const expected = (): number => arrivals.reduce((n, a) => n + a.length, 0);
    while (expected() < spec.watchers * spec.writes && performance.now() < drainDeadline) {
      await sleep(20);
    }
    samples.seconds = (performance.now() - start) / 1000;
    for (let i = 0; i < spec.writes; i++) {
      if (Number.isNaN(acks[i])) continue;
      for (const t of arrivals[i]) samples.add(t - acks[i]);
      const missing = spec.watchers - arrivals[i].length;
      for (let m = 0; m < missing; m++) samples.addError('event not delivered in time');
    }
    return samples;
  } finally {
    closing = true;
    for (const s of streams) s.cancel();
    for (const c of clients) c.close();
    writer.close();
  }
}
