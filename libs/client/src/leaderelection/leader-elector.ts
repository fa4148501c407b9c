// Leader election on a coordination.k8s.io/v1 Lease, after client-go's tools/leaderelection:
// candidates poll the lease; one that finds it free, or unchanged for a whole lease duration by
// its own clock, takes it with a resourceVersion precondition; the holder renews it, and stops
// acting the moment it has gone renewDeadline without a successful renewal, which is before any
// rival can have seen the lease expire.
import { isApiError } from '@flotilla/api';
import type { Registry } from 'prom-client';
import { jitter, realClock, sleep, type Clock, type TimerHandle } from '../clock';
import type { ResourceOps } from '../contract';
import { LeaseLock } from './lease-lock';
import { sameRecord, type LeaderElectionRecord } from './lease-record';
import type { Lease } from '../rest/types';
import { electionMetrics } from './metrics';

/**
 * Defaults chosen so a killed leader is replaced within 3 s (Kubernetes uses 15 s / 10 s / 2 s):
 * a rival sees the last renewal at most one poll (≤ 360 ms) after it, waits the 2 s lease, and
 * acquires at its next poll: ≤ 2 + 2 × 0.36 ≈ 2.7 s plus two request round trips. The holder
 * renews every 300 ms and gives up 1.5 s after the last renewal it sent that succeeded, 0.5 s
 * before the earliest moment a rival could take over, which leaves room for a late timer.
 */
export const LEADER_ELECTION_DEFAULTS = Object.freeze({
  leaseDurationSeconds: 2,
  renewDeadlineMs: 1500,
  retryPeriodMs: 300,
  /** Candidates wait retryPeriod × (1 + up to this) between polls, so they do not poll in step. */
  jitterFactor: 0.2,
});

export interface LeaderCallbacks {
  /**
   * This candidate leads. Act only while `signal` has not aborted; it aborts when leadership
   * ends (renew deadline passed, or stop()). A returned promise is awaited before the lease is
   * released on stop(), so the next leader never overlaps this one's work.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended (called when the signal aborts). */
  onStoppedLeading?(): void;
  /** Another (or this) candidate is seen holding the lease. */
  onNewLeader?(identity: string): void;
}

export type ElectionPhase = 'acquire' | 'renew' | 'release' | 'callback';

export interface LeaderElectorOptions {
  /** Leases in the lock's namespace. */
  leases: ResourceOps<Lease>;
  leaseName: string;
  /** Names this component: prefix of the identity and the metrics' `name` label (default leaseName). */
  name?: string;
  /** Default `<name>_<random>`, unique per process as Kubernetes' `<hostname>_<uuid>`. */
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  jitterFactor?: number;
  /** Clear holderIdentity on stop() so the next candidate takes over at once (default true). */
  releaseOnStop?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
  random?: () => number;
  registry?: Registry;
  /** Told of failures the elector rides out (to log them). */
  onError?: (err: unknown, phase: ElectionPhase) => void;
}

interface Term {
  controller: AbortController;
  validUntil: number;
  timer: TimerHandle | undefined;
  work: Promise<void>;
}

export class LeaderElector {
  readonly identity: string;
  readonly name: string;
  private readonly lock: LeaseLock;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly jitterFactor: number;
  private readonly metrics: ReturnType<typeof electionMetrics> | undefined;
  private observed: LeaderElectionRecord | undefined;
  private observedTime = 0;
  private reportedLeader = '';
  private term: Term | undefined;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.name = opts.name ?? opts.leaseName;
    this.identity = opts.identity ?? `${this.name}_${randomId(this.random)}`;
    this.leaseDurationSeconds =
      opts.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    this.jitterFactor = opts.jitterFactor ?? LEADER_ELECTION_DEFAULTS.jitterFactor;
    checkTimings(
      this.leaseDurationSeconds,
      this.renewDeadlineMs,
      this.retryPeriodMs,
      this.jitterFactor,
    );
    if (!opts.leaseName) throw new Error('leader election: leaseName is required');
    this.lock = new LeaseLock(opts.leases, opts.leaseName);
    this.metrics = opts.registry ? electionMetrics(opts.registry) : undefined;
    this.metrics?.status.set({ name: this.name }, 0);
  }

  /** Contends for the lease, leads while it holds it, contends again after losing it; until stop(). */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Leaves the election: ends leadership (the signal aborts), waits for the leader's work to
   * finish (no longer than the lease is still ours), then releases the lease.
   */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.stopSignal.abort();
    }
    await this.running;
  }

  /** True while this candidate leads and its last renewal is within the renew deadline. */
  isLeader(): boolean {
    return (
      this.term !== undefined &&
      !this.term.controller.signal.aborted &&
      this.clock.now() < this.term.validUntil
    );
  }

  /** The holder last seen on the lease ('' when free or unknown). */
  get leader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const acquiredAt = await this.acquire();
      if (acquiredAt === undefined) break;
      if (this.stopping) {
        await this.release();
        break;
      }
      await this.lead(acquiredAt);
    }
  }

  /** Polls until the lease is ours; returns when the winning request was sent (undefined: stopped). */
  private async acquire(): Promise<number | undefined> {
    while (!this.stopping) {
      const sent = this.clock.now();
      const ok = await raceAbort(this.tryAcquireOrRenew('acquire'), this.stopSignal.signal);
      this.reportTransition();
      if (ok) return sent;
      await sleep(
        this.clock,
        jitter(this.retryPeriodMs, this.jitterFactor, this.random),
        this.stopSignal.signal,
      );
    }
    return undefined;
  }

  private async lead(acquiredAt: number): Promise<void> {
    const controller = new AbortController();
    const term: Term = {
      controller,
      validUntil: acquiredAt + this.renewDeadlineMs,
      timer: undefined,
      work: Promise.resolve(),
    };
    this.term = term;
    this.armDeadline(term);
    this.metrics?.status.set({ name: this.name }, 1);
    const onStop = () => this.endTerm(term);
    this.stopSignal.signal.addEventListener('abort', onStop, { once: true });
    term.work = Promise.resolve()
      .then(() => this.opts.callbacks.onStartedLeading(controller.signal))
      .then(
        () => undefined,
        (err: unknown) => this.report(err, 'callback'),
      );

    while (!controller.signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, controller.signal);
      if (controller.signal.aborted) break;
      const sent = this.clock.now();
      const ok = await raceAbort(this.tryAcquireOrRenew('renew'), controller.signal);
      this.reportTransition();
      // A renewal that comes back after the deadline is too late: the term is over either way.
      if (ok && !controller.signal.aborted && this.clock.now() < term.validUntil) {
        term.validUntil = sent + this.renewDeadlineMs;
        this.armDeadline(term);
      } else if (!ok && this.observed && this.observed.holderIdentity !== this.identity) {
        this.endTerm(term); // someone else holds it now (it expired on us): stop at once
      }
    }
    this.stopSignal.signal.removeEventListener('abort', onStop);
    if (this.stopping) {
      // Let the work wind down, but never past the moment the lease could be taken from us.
      const left = term.validUntil - this.clock.now();
      const settled = await Promise.race([
        term.work.then(() => true),
        sleep(this.clock, Math.max(0, left)).then(() => false),
      ]);
      if (settled && (this.opts.releaseOnStop ?? true)) await this.release();
    }
    if (this.term === term) this.term = undefined;
  }

  private armDeadline(term: Term): void {
    if (term.timer !== undefined) this.clock.clearTimeout(term.timer);
    term.timer = this.clock.setTimeout(
      () => this.endTerm(term),
      term.validUntil - this.clock.now(),
    );
  }

  private endTerm(term: Term): void {
    if (term.controller.signal.aborted) return;
    if (term.timer !== undefined) this.clock.clearTimeout(term.timer);
    term.timer = undefined;
    term.controller.abort();
    this.metrics?.status.set({ name: this.name }, 0);
    try {
      this.opts.callbacks.onStoppedLeading?.();
    } catch (err) {
      this.report(err, 'callback');
    }
  }

  /** One attempt to take or keep the lease (client-go's tryAcquireOrRenew). */
  private async tryAcquireOrRenew(phase: 'acquire' | 'renew'): Promise<boolean> {
    const now = this.clock.now();
    const desired: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };

    // Fast path: ours by the last look, and not expired: renew on top of what we last wrote.
    if (this.observed?.holderIdentity === this.identity && this.leaseValid(now)) {
      desired.acquireTime = this.observed.acquireTime;
      desired.leaseTransitions = this.observed.leaseTransitions;
      try {
        await this.lock.update(desired);
        this.observe(desired);
        return true;
      } catch (err) {
        if (!isConflict(err)) this.report(err, phase);
      }
    }

    let current: LeaderElectionRecord;
    try {
      current = await this.lock.get();
    } catch (err) {
      if (!isNotFound(err)) {
        this.report(err, phase);
        return false;
      }
      try {
        await this.lock.create(desired);
      } catch (createErr) {
        this.report(createErr, phase);
        return false;
      }
      this.observe(desired);
      return true;
    }

    if (!sameRecord(this.observed, current)) this.observe(current);
    if (
      current.holderIdentity !== '' &&
      current.holderIdentity !== this.identity &&
      this.leaseValid(now)
    ) {
      return false; // held, and not expired by our own clock
    }
    const previousSeen = this.observedTime;
    if (current.holderIdentity === this.identity) {
      desired.acquireTime = current.acquireTime;
      desired.leaseTransitions = current.leaseTransitions;
    } else {
      desired.leaseTransitions = current.leaseTransitions + 1;
    }
    try {
      await this.lock.update(desired);
    } catch (err) {
      if (!isConflict(err)) this.report(err, phase);
      return false;
    }
    this.observe(desired);
    if (current.holderIdentity !== this.identity) {
      this.metrics?.takeover.observe({ name: this.name }, (this.clock.now() - previousSeen) / 1000);
    }
    return true;
  }

  private async release(): Promise<void> {
    try {
      const current = await this.lock.get();
      if (current.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      const released: LeaderElectionRecord = {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: current.leaseTransitions,
      };
      await this.lock.update(released);
      this.observe(released);
    } catch (err) {
      this.report(err, 'release');
    }
  }

  /** A record seen (or written) now: a lease is valid for its duration from when it last changed. */
  private observe(r: LeaderElectionRecord): void {
    this.observed = r;
    this.observedTime = this.clock.now();
  }

  private leaseValid(now: number): boolean {
    return (
      this.observed !== undefined &&
      this.observedTime + this.observed.leaseDurationSeconds * 1000 > now
    );
  }

  private reportTransition(): void {
    const holder = this.observed?.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder === '') return;
    try {
      this.opts.callbacks.onNewLeader?.(holder);
    } catch (err) {
      this.report(err, 'callback');
    }
  }

  private report(err: unknown, phase: ElectionPhase): void {
    try {
      this.opts.onError?.(err, phase);
    } catch {
      // Logging must not break the election.
    }
  }
}

function checkTimings(
  leaseSeconds: number,
  renewDeadline: number,
  retry: number,
  jitterFactor: number,
): void {
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1) {
    throw new Error(
      `leader election: leaseDurationSeconds must be a whole number of seconds ≥ 1, not ${leaseSeconds}`,
    );
  }
  if (!(retry > 0) || !(renewDeadline > 0))
    throw new Error('leader election: renewDeadlineMs and retryPeriodMs must be > 0');
  if (renewDeadline >= leaseSeconds * 1000) {
    throw new Error(
      `leader election: renewDeadlineMs (${renewDeadline}) must be below the lease duration (${leaseSeconds * 1000} ms), or a holder could act after a rival took over`,
    );
  }
  if (renewDeadline <= retry * (1 + jitterFactor)) {
    throw new Error(
      `leader election: renewDeadlineMs (${renewDeadline}) must exceed retryPeriodMs × (1 + jitterFactor)`,
    );
  }
}

function isNotFound(err: unknown): boolean {
  return isApiError(err) && err.code === 404;
}

function isConflict(err: unknown): boolean {
  return isApiError(err) && err.code === 409;
}

/** `p`'s value, or undefined as soon as `signal` aborts (the request may still land later). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function randomId(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(random() * 16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
