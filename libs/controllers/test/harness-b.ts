// Runs controllers of part B against a real API server in process (startTestApi), with the
// context the manager would hand them: a shared informer factory over the client, an event
// recorder writing core/v1 Events, a fake clock, a metrics registry and flags. Tests read as
// scenarios: create objects, run the controller, wait until the writes they expect are there.
import { findResource, type KubeObject } from '@flotilla/api';
import {
  coreV1EventSink,
  EventBroadcaster,
  FakeClock,
  settle,
  SharedInformerFactory,
  type KubeClient,
} from '@flotilla/client';
import { startTestApi, type TestApi, type TestApiOptions } from '@flotilla/testing';
import { Registry } from 'prom-client';
import type { Controller, ControllerContext } from '../src/controller';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

export interface RunningController {
  ctx: ControllerContext;
  logs: LogLine[];
  /** Resolves when run() has returned (after stop). */
  readonly finished: Promise<void>;
  /** Aborts the run, waits for it to return, stops the informers and the recorder. */
  stop(): Promise<void>;
}

export interface Harness {
  api: TestApi;
  /** The client tests write with (the controller gets its own). */
  client: KubeClient;
  clock: FakeClock;
  run(controller: Controller, flags?: Record<string, string>): RunningController;
  stop(): Promise<void>;
}

export async function startHarness(
  opts: { api?: TestApiOptions; clock?: FakeClock } = {},
): Promise<Harness> {
  const api = await startTestApi(opts.api);
  const clock = opts.clock ?? new FakeClock(Date.now());
  const running: RunningController[] = [];
  return {
    api,
    client: api.client,
    clock,
    run(controller, flags = {}) {
      const client = api.newClient({ component: 'kube-controller-manager' });
      const informers = new SharedInformerFactory({
        listerWatcher: (info, ns) => client.resource(info, ns),
        clock,
      });
      const events = new EventBroadcaster({
        sink: coreV1EventSink((ns) => client.resource(EVENTS, ns)),
        clock,
      });
      const logs: LogLine[] = [];
      const log = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) =>
        void logs.push({ level, msg, fields });
      const ctx: ControllerContext = {
        client,
        informers,
        recorder: (reportingController) => events.newRecorder({ reportingController }),
        clock,
        log: { info: log('info'), warn: log('warn'), error: log('error') },
        metrics: new Registry(),
        flags: new Map(Object.entries(flags)),
      };
      const abort = new AbortController();
      const finished = controller.run(ctx, abort.signal).catch((err: unknown) => {
        logs.push({ level: 'error', msg: 'run failed', fields: { err: String(err) } });
      });
      const handle: RunningController = {
        ctx,
        logs,
        finished,
        async stop() {
          abort.abort();
          await finished;
          informers.shutdown();
          events.shutdown();
        },
      };
      running.push(handle);
      return handle;
    },
    async stop() {
      for (const r of running.splice(0)) await r.stop();
      await api.stop();
    },
  };
}

const EVENTS = findResource('', 'v1', 'events')!;

/**
 * Waits (in real time, the fake clock standing still) until `check` holds; fails with `what`
 * after `timeoutMs`. The controller's writes travel through the in-process API and its watches.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await settle();
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Advances the fake clock in steps, letting the API's real-time work settle at each one. */
export async function advance(clock: FakeClock, ms: number, stepMs = 500): Promise<void> {
  let left = ms;
  while (left > 0) {
    const step = Math.min(stepMs, left);
    await clock.advance(step);
    await new Promise((r) => setTimeout(r, 2));
    left -= step;
  }
  await settle();
}

/** The core/v1 Events recorded about an object (reason list, oldest first). */
export async function eventReasons(client: KubeClient, obj: KubeObject): Promise<string[]> {
  const ns = obj.metadata.namespace ?? 'default';
  const list = await client.resource(EVENTS, ns).list();
  return list.items
    .filter(
      (e) =>
        (e as { involvedObject?: { name?: string } }).involvedObject?.name === obj.metadata.name,
    )
    .map((e) => String((e as { reason?: string }).reason));
}
