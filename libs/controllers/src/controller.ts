// What every controller of the controller manager is, and what the manager hands it. A controller
// is informer-fed and work-queue-driven (README: "Writing a controller"); it acts only through the
// client, and only while its run's signal is not aborted (the manager aborts it the moment this
// master stops holding the kube-controller-manager Lease).
import type { Registry } from 'prom-client';
import type { Clock, EventRecorder, KubeClient, SharedInformerFactory } from '@flotilla/client';

export interface ControllerLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ControllerContext {
  client: KubeClient;
  /** Shared by every controller of the manager: one watch per resource. */
  informers: SharedInformerFactory;
  /** An event recorder reporting as `reportingController` (e.g. "replicaset-controller"). */
  recorder(reportingController: string): EventRecorder;
  clock: Clock;
  log: ControllerLog;
  /** Where controllers register their own metrics (the work queue's among them). */
  metrics: Registry;
  /** The manager's flags that controllers read (--node-monitor-grace-period, ...), by name. */
  flags: ReadonlyMap<string, string>;
}

export interface Controller {
  /** kube-controller-manager's name for it (replicaset, deployment, nodelifecycle, ...). */
  readonly name: string;
  /**
   * Registers its informers and handlers, waits for them to sync, runs its workers until
   * `signal` aborts, then stops its queues (draining is not required: a new leader resyncs).
   */
  run(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}

/**
 * A flag a controller reads from `ControllerContext.flags`, spelled as kube-controller-manager
 * spells it. The master accepts it on its command line (and as FLOTILLA_<FLAG>); when it is not
 * given, the manager puts `default` in the map, so a controller always finds a value.
 */
export interface ControllerFlag {
  /** Without dashes: 'concurrent-deployment-syncs'. */
  readonly flag: string;
  readonly valueName: string;
  readonly description: string;
  readonly default: string;
  /** Throws an Error saying what is wrong with a value given for it. */
  check?(value: string): void;
}

/** How the manager builds a controller it was told to run. */
export interface ControllerFactory {
  readonly name: string;
  /** False for the ones kube-controller-manager leaves off unless named (`--controllers`). */
  readonly enabledByDefault: boolean;
  /** The flags it reads (optional). */
  readonly flags?: readonly ControllerFlag[];
  create(): Controller;
}
