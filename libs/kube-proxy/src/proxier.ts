// One IP family's proxy: takes informer events, plans, writes one nft transaction per sync, and
// keeps going whatever happens. A failed transaction changes nothing in the kernel (the last good
// ruleset stays), is logged and counted, and is retried with back-off as a full sync.
import type { JsonLogger } from '@flotilla/observability';
import type { EndpointSlice, Service } from './api-types';
import { isServiceChainName } from './chain-names';
import type { CommandRunner } from './command-runner';
import { deleteConntrackEntries, staleUdpDeletions } from './conntrack';
import type { DesiredState } from './desired-state';
import { ProxyHealth } from './health';
import type { ProxyMetrics } from './metrics';
import { NftError, type TableApplier } from './nft-applier';
import { type InputProblem, problemId } from './problems';
import type { RenderOptions } from './render-options';
import type { ServicePortRules } from './ruleset';
import { ServiceTracker } from './service-tracker';
import { SyncPlanner } from './sync-planner';
import { SyncRunner, Timers, realTimers } from './sync-runner';
import { fullSyncScript, incrementalSyncScript } from './transaction';

export interface ProxierConfig {
  /** --min-sync-period: changes within it are batched into one transaction. */
  minSyncPeriodMs: number;
  /** --sync-period: a full sync at least this often, which also repairs drift. */
  syncPeriodMs: number;
  /** First retry after a failed sync; doubles up to syncPeriodMs. */
  retryBaseMs: number;
  /** How long a flushed chain waits before it is deleted. */
  staleChainDelayMs: number;
}

/** Enough of nft's complaint to act on, not a whole echoed script. */
const STDERR_LOG_LIMIT = 4000;

export const DEFAULT_PROXIER_CONFIG: ProxierConfig = {
  minSyncPeriodMs: 1000,
  syncPeriodMs: 3600_000,
  retryBaseMs: 1000,
  staleChainDelayMs: 1000,
};

export interface ProxierDeps {
  options: RenderOptions;
  applier: TableApplier;
  /** Runs conntrack in the node's network namespace. */
  conntrack?: CommandRunner;
  metrics: ProxyMetrics;
  logger: JsonLogger;
  config?: Partial<ProxierConfig>;
  timers?: Timers;
  /** Told about problems as they appear and clear, and about failed syncs (to write events). */
  reporter?: ProxyReporter;
}

/** A transaction the kernel refused (or nft could not run). */
export interface SyncFailure {
  family: 'ipv4' | 'ipv6';
  full: boolean;
  message: string;
  /** What nft wrote to stderr, when it ran. */
  stderr?: string;
  /** Failed syncs in a row, this one included. */
  failuresInARow: number;
}

export interface ProxyReporter {
  /** A problem appeared; `object` is the Service or EndpointSlice as the proxy last saw it. */
  problem(
    problem: InputProblem,
    family: 'ipv4' | 'ipv6',
    object: Service | EndpointSlice | undefined,
  ): void;
  problemResolved(problem: InputProblem, family: 'ipv4' | 'ipv6'): void;
  syncFailed(failure: SyncFailure): void;
  /** A sync succeeded after `failures` failed ones. */
  syncRecovered(family: 'ipv4' | 'ipv6', failures: number): void;
}

export interface SyncOutcome {
  ok: boolean;
  full: boolean;
  /** The transaction text (empty when nothing changed). */
  script: string;
  error?: Error;
}

export class Proxier {
  readonly tracker = new ServiceTracker();
  readonly health: ProxyHealth;
  private readonly planner: SyncPlanner;
  private readonly runner: SyncRunner;
  private readonly config: ProxierConfig;
  private readonly timers: Timers;
  private applied: DesiredState | undefined;
  private needFull = true;
  private baseChainsRecreated = false;
  private servicesSynced = false;
  private slicesSynced = false;
  private lastFullAt = -Infinity;
  /** Flushed chains waiting for deletion → when they went stale. */
  private readonly stale = new Map<string, number>();
  private problems = new Map<string, InputProblem>();
  private lastOutcome: SyncOutcome | undefined;
  private syncing = false;
  private failuresInARow = 0;
  /** Accepted Service ports with a Local policy and no local endpoint, by policy. */
  private noLocal = { internal: 0, external: 0 };

  constructor(private readonly deps: ProxierDeps) {
    this.config = { ...DEFAULT_PROXIER_CONFIG, ...deps.config };
    this.timers = deps.timers ?? realTimers;
    this.planner = new SyncPlanner(deps.options);
    this.health = new ProxyHealth(2 * Math.max(this.config.syncPeriodMs, 30_000), () =>
      this.timers.now(),
    );
    this.runner = new SyncRunner(
      async () => (await this.syncNow()).ok,
      {
        minIntervalMs: this.config.minSyncPeriodMs,
        maxIntervalMs: this.config.syncPeriodMs,
        retryBaseMs: this.config.retryBaseMs,
        retryMaxMs: Math.max(this.config.retryBaseMs, Math.min(this.config.syncPeriodMs, 120_000)),
      },
      this.timers,
    );
  }

  get family(): 'ipv4' | 'ipv6' {
    return this.deps.options.family;
  }

  /** The last successfully applied state (for tests and the bench). */
  get appliedState(): DesiredState | undefined {
    return this.applied;
  }

  get lastSync(): SyncOutcome | undefined {
    return this.lastOutcome;
  }

  /** Every change seen so far is in the kernel. */
  get inSync(): boolean {
    return (
      this.applied !== undefined &&
      !this.needFull &&
      !this.syncing &&
      this.tracker.pendingServiceChanges === 0 &&
      this.tracker.pendingEndpointChanges === 0 &&
      this.stale.size === 0
    );
  }

  get currentProblems(): InputProblem[] {
    return [...this.problems.values()];
  }

  onServiceUpsert(svc: Service): void {
    if (this.tracker.upsertService(svc)) this.changed(true);
  }

  onServiceDelete(svc: Service): void {
    if (this.tracker.deleteService(svc)) this.changed(true);
  }

  onEndpointSliceUpsert(slice: EndpointSlice): void {
    if (this.tracker.upsertSlice(slice)) this.changed(false);
  }

  onEndpointSliceDelete(slice: EndpointSlice): void {
    if (this.tracker.deleteSlice(slice)) this.changed(false);
  }

  /** Informers finished their first list: syncs may start (not before, or a restart would
   *  briefly remove the rules of Services not listed yet). */
  onServicesSynced(): void {
    this.servicesSynced = true;
    this.runner.request();
  }

  onEndpointSlicesSynced(): void {
    this.slicesSynced = true;
    this.runner.request();
  }

  /** New node facts or flags (node IPs, NodePort addresses); a changed base means a full sync. */
  setOptions(options: RenderOptions): void {
    if (this.planner.setOptions(options)) {
      this.needFull = true;
      this.changed(false);
    }
  }

  setNodeDeleting(deleting: boolean): void {
    this.health.setNodeDeleting(deleting);
  }

  /** Waits for a running sync and stops scheduling new ones. */
  async stop(): Promise<void> {
    this.runner.stop();
    await this.runner.idle();
    this.deps.applier.close?.();
  }

  /** --cleanup: removes the table. */
  async cleanup(): Promise<boolean> {
    return this.deps.applier.deleteTable();
  }

  private changed(service: boolean): void {
    const m = this.deps.metrics;
    (service ? m.serviceChangesTotal : m.endpointChangesTotal).inc();
    m.serviceChangesPending.set(this.tracker.pendingServiceChanges);
    m.endpointChangesPending.set(this.tracker.pendingEndpointChanges);
    m.lastQueuedTimestamp.set(this.timers.now() / 1000);
    this.health.queued();
    this.runner.request();
  }

  /** One sync now (the runner calls this; tests and the bench may too). */
  async syncNow(): Promise<SyncOutcome> {
    if (!this.servicesSynced || !this.slicesSynced) return { ok: true, full: false, script: '' };
    this.syncing = true;
    try {
      return await this.sync();
    } finally {
      this.syncing = false;
    }
  }

  private async sync(): Promise<SyncOutcome> {
    const started = this.timers.now();
    const startedHr = process.hrtime.bigint();
    const full =
      this.needFull ||
      this.applied === undefined ||
      started - this.lastFullAt >= this.config.syncPeriodMs;
    const changes = this.tracker.takeChanges();
    const m = this.deps.metrics;
    m.serviceChangesPending.set(0);
    m.endpointChangesPending.set(0);
    const { next, problems, changed } = this.planner.plan(
      this.tracker,
      changes.dirty,
      full,
      this.applied?.services ?? new Set<string>(),
    );
    this.reportProblems(problems);

    let outcome: SyncOutcome;
    try {
      outcome = full
        ? await this.applyFull(next)
        : await this.applyIncremental(next, started, changed);
    } catch (e) {
      outcome = { ok: false, full, script: '', error: e as Error };
    }
    const seconds = Number(process.hrtime.bigint() - startedHr) / 1e9;
    m.syncDuration.observe(seconds);
    (full ? m.syncFullDuration : m.syncPartialDuration).observe(seconds);
    this.lastOutcome = outcome;

    if (!outcome.ok) {
      this.syncFailed(outcome, full);
      return outcome;
    }
    if (this.failuresInARow > 0) {
      this.deps.logger.info('nftables sync recovered', {
        family: this.family,
        failedSyncs: this.failuresInARow,
      });
      this.deps.reporter?.syncRecovered(this.family, this.failuresInARow);
      this.failuresInARow = 0;
    }

    const prev = this.applied;
    this.applied = next;
    this.needFull = false;
    if (full) {
      this.lastFullAt = started;
      this.baseChainsRecreated = true;
    }
    m.lastTimestamp.set(this.timers.now() / 1000);
    // An incremental sync looks only at what changed (after a full one, `changed` is everything).
    const looked = full ? undefined : changed;
    this.countNoLocalEndpoints(full ? undefined : prev, next, looked);
    this.health.updated();
    this.deps.logger.debug('nftables synced', {
      family: this.family,
      full,
      services: next.services.size,
      commands: countLines(outcome.script),
      ms: Math.round(seconds * 1000),
    });
    if (this.stale.size > 0) this.runner.requestWithin(this.config.staleChainDelayMs);
    await this.cleanConntrack(prev, next, looked);
    return outcome;
  }

  /** kubeproxy_sync_proxy_rules_no_local_endpoints_total, recounted only where things changed. */
  private countNoLocalEndpoints(
    prev: DesiredState | undefined,
    next: DesiredState,
    changed: Iterable<string> | undefined,
  ): void {
    if (!prev || !changed) {
      this.noLocal = { internal: 0, external: 0 };
      for (const sp of next.services.values()) this.addNoLocal(sp, 1);
    } else {
      for (const key of changed) {
        const before = prev.services.get(key);
        const after = next.services.get(key);
        if (before) this.addNoLocal(before, -1);
        if (after) this.addNoLocal(after, 1);
      }
    }
    const m = this.deps.metrics;
    m.noLocalEndpoints.set({ traffic_policy: 'internal' }, this.noLocal.internal);
    m.noLocalEndpoints.set({ traffic_policy: 'external' }, this.noLocal.external);
  }

  private addNoLocal(sp: ServicePortRules, by: 1 | -1): void {
    if (sp.noLocalEndpoints.internal) this.noLocal.internal += by;
    if (sp.noLocalEndpoints.external) this.noLocal.external += by;
  }

  private async applyFull(next: DesiredState): Promise<SyncOutcome> {
    let existing;
    try {
      existing = await this.deps.applier.list();
    } catch (e) {
      this.deps.logger.warn(
        'cannot list the kube-proxy table; stale chains stay until the next full sync',
        {
          family: this.family,
          error: (e as Error).message,
        },
      );
    }
    const script = fullSyncScript({
      next,
      existing,
      recreateBaseChains: !this.baseChainsRecreated,
    });
    await this.deps.applier.apply(script.text);
    const now = this.timers.now();
    // What the listing showed is the truth now: keep the age of chains already known as stale.
    const before = new Map(this.stale);
    this.stale.clear();
    for (const name of script.newlyStale) this.stale.set(name, before.get(name) ?? now);
    return { ok: true, full: true, script: script.text };
  }

  private async applyIncremental(
    next: DesiredState,
    now: number,
    changed: ReadonlySet<string> | undefined,
  ): Promise<SyncOutcome> {
    const prev = this.applied as DesiredState;
    const deletable = new Set<string>();
    for (const [name, since] of this.stale)
      if (now - since >= this.config.staleChainDelayMs) deletable.add(name);
    const script = incrementalSyncScript({
      prev,
      next,
      stale: new Set(this.stale.keys()),
      deletable,
      changed,
    });
    await this.deps.applier.apply(script.text, { incremental: true });
    for (const name of [...script.deleted, ...script.revived]) this.stale.delete(name);
    for (const name of script.newlyStale) if (isServiceChainName(name)) this.stale.set(name, now);
    return { ok: true, full: false, script: script.text };
  }

  private syncFailed(outcome: SyncOutcome, full: boolean): void {
    this.deps.metrics.nftablesSyncFailures.inc();
    this.failuresInARow++;
    // The kernel kept the last good table; what it holds now is the applied state. Retry whole.
    this.needFull = true;
    const error = outcome.error;
    const stderr = error instanceof NftError ? error.stderr.trim().slice(0, STDERR_LOG_LIMIT) : '';
    this.deps.logger.error('nftables sync failed; the last good ruleset stays, retrying', {
      family: this.family,
      full,
      error: error?.message,
      ...(stderr ? { stderr } : {}),
      failedSyncs: this.failuresInARow,
      retryInMs: Math.min(this.config.retryBaseMs * 2 ** this.runner.consecutiveFailures, 120_000),
    });
    this.deps.reporter?.syncFailed({
      family: this.family,
      full,
      message: error?.message ?? 'unknown error',
      ...(stderr ? { stderr } : {}),
      failuresInARow: this.failuresInARow,
    });
  }

  private async cleanConntrack(
    prev: DesiredState | undefined,
    next: DesiredState,
    changed: Iterable<string> | undefined,
  ): Promise<void> {
    if (!this.deps.conntrack) return;
    const deletions = staleUdpDeletions(prev, next, changed);
    if (deletions.length === 0) return;
    const failed = await deleteConntrackEntries(this.deps.conntrack, deletions, this.family);
    for (const f of failed) {
      this.deps.logger.warn('conntrack cleanup failed', { args: f.args.join(' '), error: f.error });
    }
  }

  private reportProblems(problems: readonly InputProblem[]): void {
    const now = new Map<string, InputProblem>();
    for (const p of problems) now.set(problemId(p), p);
    for (const [id, p] of now) {
      if (this.problems.has(id)) continue;
      this.deps.metrics.inputProblems.inc({ kind: p.kind, reason: p.reason });
      this.deps.logger.warn('left out of the ruleset', {
        family: this.family,
        object: p.object,
        reason: p.reason,
        problem: p.message,
      });
      this.deps.reporter?.problem(p, this.family, this.objectOf(p));
    }
    for (const [id, p] of this.problems) {
      if (now.has(id)) continue;
      this.deps.logger.info('problem resolved', {
        family: this.family,
        object: p.object,
        problem: p.message,
      });
      this.deps.reporter?.problemResolved(p, this.family);
    }
    this.problems = now;
  }

  private objectOf(p: InputProblem): Service | EndpointSlice | undefined {
    if (p.kind === 'Service') return this.tracker.service(`${p.namespace}/${p.name}`);
    if (p.serviceKey === undefined) return undefined;
    return this.tracker.slicesOf(p.serviceKey).find((s) => s.metadata.name === p.name);
  }
}

/** Lines of a transaction, without splitting a full sync's megabytes into strings. */
function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}
