// Runs a set of controllers together for as long as a signal allows: one client over a fenced
// view of the master's transport, one SharedInformerFactory (one watch per resource however many
// controllers read it), one event broadcaster. When the signal aborts, the transport is fenced
// and the informers stop at once; the controllers then wind down their queues.
import { setMaxListeners } from 'node:events';
import type { Registry } from 'prom-client';
import {
  EventBroadcaster,
  eventsV1Sink,
  KubeClient,
  realClock,
  SharedInformerFactory,
  stripManagedFields,
  type Clock,
  type EventRecorder,
  type RateLimit,
  type Transport,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerLog } from '../controller';
import { FencedTransport } from './fenced-transport';

export interface ControllerSetOptions {
  transport: Transport;
  /** The User-Agent's component: kube-controller-manager, kube-apiserver. */
  component: string;
  /** Names this process in recorded events (reportingInstance: `<controller>-<instance>`). */
  instance: string;
  rateLimit?: RateLimit | false;
  clock?: Clock;
  log: ControllerLog;
  metrics: Registry;
  flags: ReadonlyMap<string, string>;
  /**
   * How the shared informers cache objects. By default without managedFields and frozen; the
   * other choices are for benchmarks that compare them.
   */
  informerCache?: { keepManagedFields?: boolean; freeze?: boolean };
}

/**
 * Runs `controllers` until `signal` aborts; resolves when every one has returned. A controller
 * that fails is logged; the others keep running.
 */
export async function runControllerSet(
  controllers: readonly Controller[],
  opts: ControllerSetOptions,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted || controllers.length === 0) return;
  // Every informer, queue and wait of every controller listens for the end of the term.
  setMaxListeners(0, signal);
  const clock = opts.clock ?? realClock;
  const fence = new FencedTransport(opts.transport);
  const client = new KubeClient({
    transport: fence,
    component: opts.component,
    rateLimit: opts.rateLimit ?? false,
  });
  const informers = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
    clock,
    // As kube-controller-manager since 1.26: no controller reads managedFields, and an update
    // sent without them keeps the server's (only an explicit [] or [{}] clears them).
    transform: opts.informerCache?.keepManagedFields ? undefined : stripManagedFields,
    freeze: opts.informerCache?.freeze,
    onError: (err, resource, phase) =>
      opts.log.warn('informer failed; retrying', { resource, phase, error: String(err) }),
    onHandlerError: (err, resource) =>
      opts.log.error('informer handler failed', { resource, error: String(err) }),
  });
  const events = new EventBroadcaster({
    sink: eventsV1Sink((ns) => client.events(ns)),
    clock,
    onError: (err) => opts.log.warn('event not recorded', { error: String(err) }),
  });
  const recorders = new Map<string, EventRecorder>();
  const stop = () => {
    fence.fence();
    informers.shutdown();
    events.shutdown();
  };
  signal.addEventListener('abort', stop, { once: true });
  informers.start();
  try {
    await Promise.all(
      controllers.map(async (controller) => {
        const log = withFields(opts.log, { controller: controller.name });
        const ctx: ControllerContext = {
          client,
          informers,
          recorder(reportingController) {
            let r = recorders.get(reportingController);
            if (!r) {
              r = events.newRecorder({
                reportingController,
                reportingInstance: `${reportingController}-${opts.instance}`,
              });
              recorders.set(reportingController, r);
            }
            return r;
          },
          clock,
          log,
          metrics: opts.metrics,
          flags: opts.flags,
        };
        try {
          await controller.run(ctx, signal);
        } catch (err) {
          if (!signal.aborted) log.error('controller failed', { error: String(err) });
        }
      }),
    );
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
  }
}

function withFields(log: ControllerLog, fields: Record<string, unknown>): ControllerLog {
  return {
    info: (msg, f) => log.info(msg, { ...fields, ...f }),
    warn: (msg, f) => log.warn(msg, { ...fields, ...f }),
    error: (msg, f) => log.error(msg, { ...fields, ...f }),
  };
}
