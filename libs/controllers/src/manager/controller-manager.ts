// kube-controller-manager inside a master: the selected controllers run only while this master
// holds the Lease kube-system/kube-controller-manager. Each term of leadership gets fresh
// controllers, a fresh informer cache and a fenced client; when the term ends (lease lost or
// stop()), everything of it stops at once, and the next term, here or on another master, starts
// again from a fresh list, as a newly elected kube-controller-manager does.
import type { Registry } from 'prom-client';
import { LeaderElector, realClock, type Clock, type RateLimit } from '@flotilla/client';
import { KubeClient, type Transport } from '@flotilla/client';
import type { ControllerFactory, ControllerLog } from '../controller';
import { isControllerEnabled } from './controller-selection';
import { runControllerSet } from './controller-set';
import { canonicalControllerName } from './known-controllers';

export const CONTROLLER_MANAGER_LEASE = Object.freeze({
  namespace: 'kube-system',
  name: 'kube-controller-manager',
});

export interface LeaderElectionSettings {
  /** False: act at once and always (one master, or tests); kube-controller-manager's --leader-elect. */
  enabled: boolean;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManagerOptions {
  /** How this master reaches its own API server (the in-process transport). */
  transport: Transport;
  /** This master's name: the identity is `<name>_<random>`. */
  masterName: string;
  /** Every controller this build has. */
  factories: readonly ControllerFactory[];
  /** `--controllers`, parsed (canonical names, `*`, `-name`). */
  controllers: readonly string[];
  /** Values given for the controllers' flags; the rest take their defaults. */
  flags?: ReadonlyMap<string, string>;
  leaderElection?: LeaderElectionSettings;
  rateLimit?: RateLimit | false;
  clock?: Clock;
  random?: () => number;
  log: ControllerLog;
  metrics: Registry;
}

export class ControllerManager {
  readonly identity: string;
  /** The canonical names of the controllers this manager runs. */
  readonly enabled: readonly string[];
  private readonly factories: readonly ControllerFactory[];
  private readonly flags: ReadonlyMap<string, string>;
  private readonly elector: LeaderElector | undefined;
  private readonly clock: Clock;
  private running: Promise<void> | undefined;
  private readonly unelected = new AbortController();
  private terms = 0;
  private leading = false;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.clock = opts.clock ?? realClock;
    const random = opts.random ?? Math.random;
    this.identity = `${opts.masterName}_${randomSuffix(random)}`;
    this.factories = opts.factories.filter((f) =>
      isControllerEnabled(canonicalOf(f), opts.controllers, f.enabledByDefault),
    );
    this.enabled = this.factories.map(canonicalOf);
    this.flags = flagValues(opts.factories, opts.flags ?? new Map());
    const election = opts.leaderElection ?? { enabled: true };
    if (election.enabled) {
      const leases = new KubeClient({
        transport: opts.transport,
        component: 'kube-controller-manager',
        rateLimit: false,
      }).leases(CONTROLLER_MANAGER_LEASE.namespace);
      this.elector = new LeaderElector({
        leases,
        leaseName: CONTROLLER_MANAGER_LEASE.name,
        name: CONTROLLER_MANAGER_LEASE.name,
        identity: this.identity,
        leaseDurationSeconds: election.leaseDurationSeconds,
        renewDeadlineMs: election.renewDeadlineMs,
        retryPeriodMs: election.retryPeriodMs,
        clock: this.clock,
        random,
        registry: opts.metrics,
        callbacks: {
          onStartedLeading: (signal) => this.term(signal),
          onNewLeader: (holder) => {
            if (holder !== this.identity) opts.log.info('controller-manager leader is', { holder });
          },
        },
        onError: (err, phase) =>
          opts.log.warn('controller-manager election', { phase, error: String(err) }),
      });
    }
  }

  /** Contends for the lease and runs the controllers whenever this master holds it. */
  start(): void {
    if (this.running) return;
    this.opts.log.info('controller-manager starting', {
      identity: this.identity,
      controllers: this.enabled,
    });
    this.running = this.elector ? this.elector.run() : this.term(this.unelected.signal);
  }

  /** Stops the controllers, then hands the lease over at once (released, not left to expire). */
  async stop(): Promise<void> {
    this.unelected.abort();
    await this.elector?.stop();
    await this.running;
  }

  /** True while a term runs here. */
  get isLeading(): boolean {
    return this.leading;
  }

  /** Terms of leadership this manager has begun. */
  get termsStarted(): number {
    return this.terms;
  }

  /** The holder of the lease as last seen ('' when unknown or free). */
  get leader(): string {
    return this.elector ? this.elector.leader : this.identity;
  }

  private async term(signal: AbortSignal): Promise<void> {
    const began = this.clock.now();
    this.terms++;
    this.leading = true;
    const term = this.terms;
    this.opts.log.info('controller-manager leading: starting controllers', {
      identity: this.identity,
      term,
      controllers: this.enabled,
    });
    try {
      await runControllerSet(
        this.factories.map((f) => f.create()),
        {
          transport: this.opts.transport,
          component: 'kube-controller-manager',
          instance: this.opts.masterName,
          rateLimit: this.opts.rateLimit,
          clock: this.clock,
          log: this.opts.log,
          metrics: this.opts.metrics,
          flags: this.flags,
        },
        signal,
      );
    } finally {
      this.leading = false;
      this.opts.log.info('controller-manager stopped leading: controllers stopped', {
        identity: this.identity,
        term,
        ledMs: this.clock.now() - began,
      });
    }
  }
}

/** The canonical kube-controller-manager name of a factory (its name may be an alias). */
export function canonicalOf(f: ControllerFactory): string {
  return canonicalControllerName(f.name) ?? f.name;
}

/** Every declared flag's value: the one given, else its default. */
function flagValues(
  factories: readonly ControllerFactory[],
  given: ReadonlyMap<string, string>,
): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const f of factories) for (const flag of f.flags ?? []) out.set(flag.flag, flag.default);
  for (const [k, v] of given) out.set(k, v);
  return out;
}

function randomSuffix(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(random() * 16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
