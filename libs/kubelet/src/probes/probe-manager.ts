// Probe workers, one per running container and probe kind, as the kubelet's prober manager:
// each waits initialDelaySeconds after the container started, probes every periodSeconds, and
// changes its result only after successThreshold or failureThreshold results in a row. Liveness
// and readiness wait for the startup probe. Results feed the pod's status (ready, started) and
// its worker (a container to restart).
import type { Clock, Timer } from '../util/clock';
import type { Logger } from '../util/logger';
import type { EventRecorder } from '../pod/events';
import { containerField } from '../pod/events';
import type { ContainerInstance, PodRuntimeView } from '../pod/runtime-view';
import type { Container, Pod, Probe } from '../pod/types';
import type { ProbeRunner } from './probe-runner';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const KIND_WORD: Record<ProbeKind, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

export interface ProbeManagerOptions {
  clock: Clock;
  runner: ProbeRunner;
  events: EventRecorder;
  logger: Logger;
  /** A result changed for a container of this pod: sync it. */
  onChange: (podUid: string) => void;
}

/** A probe's settings with Kubernetes' defaults. */
export function probeTiming(p: Probe, kind: ProbeKind) {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    // Liveness and startup must succeed once; Kubernetes rejects other values for them.
    successThreshold: kind === 'readiness' ? Math.max(1, p.successThreshold ?? 1) : 1,
    failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

class ProbeWorker {
  private timer?: Timer;
  private stopped = false;
  private inFlight = false;
  private lastOk: boolean | undefined;
  private run = 0;

  constructor(
    private readonly manager: ProbeManager,
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly pod: Pod,
    private readonly container: Container,
    private readonly instance: ContainerInstance,
    private readonly podIP: string,
  ) {}

  start(clock: Clock): void {
    const t = probeTiming(this.probe, this.kind);
    const firstAt = (this.instance.startedAt || clock.now()) + t.initialDelayMs;
    this.schedule(clock, Math.max(0, firstAt - clock.now()));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(clock: Clock, ms: number): void {
    if (this.stopped) return;
    this.timer = clock.after(ms, () => void this.tick(clock));
  }

  private async tick(clock: Clock): Promise<void> {
    const t = probeTiming(this.probe, this.kind);
    if (this.stopped) return;
    const id = this.instance.id;
    const waitForStartup =
      this.kind !== 'startup' && this.container.startupProbe && !this.manager.started(id);
    if (this.inFlight || waitForStartup) {
      this.schedule(clock, t.periodMs);
      return;
    }
    this.inFlight = true;
    const outcome = await this.manager.runner.run(this.probe, {
      container: this.container,
      containerId: id,
      podIP: this.podIP,
    });
    this.inFlight = false;
    if (this.stopped) return;
    this.run = outcome.ok === this.lastOk ? this.run + 1 : 1;
    this.lastOk = outcome.ok;
    if (!outcome.ok) {
      this.manager.options.events.record(this.pod, {
        type: 'Warning',
        reason: 'Unhealthy',
        message: `${KIND_WORD[this.kind]} probe failed: ${outcome.output.trim()}`,
        fieldPath: containerField(this.container.name, 'app'),
      });
    }
    const threshold = outcome.ok ? t.successThreshold : t.failureThreshold;
    if (this.run >= threshold) {
      const goOn = this.manager.result(this, this.pod, this.container, id, outcome.ok);
      if (!goOn) return;
    }
    this.schedule(clock, t.periodMs);
  }
}

export class ProbeManager {
  readonly runner: ProbeRunner;
  private readonly readiness = new Map<string, boolean>();
  private readonly startup = new Map<string, boolean>();
  private readonly restart = new Map<string, string>();
  /** Workers by pod uid, then by `${containerId}/${kind}`. */
  private readonly workers = new Map<string, Map<string, ProbeWorker>>();
  /** Running container ids of each pod at its last sync. */
  private readonly seen = new Map<string, Set<string>>();

  constructor(readonly options: ProbeManagerOptions) {
    this.runner = options.runner;
  }

  started(containerId: string): boolean {
    return this.startup.get(containerId) === true;
  }

  /** Results for the status computation. */
  get readinessResults(): ReadonlyMap<string, boolean> {
    return this.readiness;
  }

  get startupResults(): ReadonlyMap<string, boolean> {
    return this.startup;
  }

  /** Containers of the pod a liveness or startup probe wants restarted, with the reason. */
  restartVerdicts(view: PodRuntimeView): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of view.containers) {
      const why = this.restart.get(c.id);
      if (why) out.set(c.id, why);
    }
    return out;
  }

  /** Called by a worker whose result changed; false stops it (a failed liveness/startup, a passed startup). */
  result(worker: ProbeWorker, pod: Pod, c: Container, id: string, ok: boolean): boolean {
    const uid = pod.metadata.uid;
    switch (worker.kind) {
      case 'readiness':
        if (this.readiness.get(id) !== ok) {
          this.readiness.set(id, ok);
          this.options.onChange(uid);
        }
        return true;
      case 'startup':
        if (ok) {
          this.startup.set(id, true);
          this.options.onChange(uid);
          return false;
        }
        this.restart.set(id, `Container ${c.name} failed startup probe, will be restarted`);
        this.options.onChange(uid);
        return false;
      case 'liveness':
        if (ok) return true;
        this.restart.set(id, `Container ${c.name} failed liveness probe, will be restarted`);
        this.options.onChange(uid);
        return false;
    }
  }

  /** Starts workers for the pod's running app containers and stops those of containers gone. */
  sync(pod: Pod, view: PodRuntimeView, podIP: string): void {
    const uid = pod.metadata.uid;
    let mine = this.workers.get(uid);
    if (!mine) {
      mine = new Map();
      this.workers.set(uid, mine);
    }
    const wanted = new Set<string>();
    for (const spec of pod.spec.containers) {
      const running = view.containers.find(
        (i) => i.kind === 'app' && i.name === spec.name && i.state === 'running',
      );
      if (!running) continue;
      const kinds: [ProbeKind, Probe | undefined][] = [
        ['startup', spec.startupProbe],
        ['liveness', spec.livenessProbe],
        ['readiness', spec.readinessProbe],
      ];
      for (const [kind, probe] of kinds) {
        if (!probe) continue;
        if (kind === 'startup' && this.startup.get(running.id)) continue;
        if (kind !== 'readiness' && this.restart.has(running.id)) continue;
        const key = `${running.id}/${kind}`;
        wanted.add(key);
        if (mine.has(key)) continue;
        const worker = new ProbeWorker(this, kind, probe, pod, spec, running, podIP);
        mine.set(key, worker);
        worker.start(this.options.clock);
      }
    }
    for (const [key, worker] of mine) {
      if (!wanted.has(key)) {
        worker.stop();
        mine.delete(key);
      }
    }
    this.forgetResults(uid, view);
  }

  /** Drops results of this pod's containers that no longer run. */
  private forgetResults(uid: string, view: PodRuntimeView): void {
    const running = new Set(view.containers.filter((c) => c.state === 'running').map((c) => c.id));
    const seen = this.seen.get(uid) ?? new Set<string>();
    for (const id of seen) {
      if (running.has(id)) continue;
      this.readiness.delete(id);
      this.startup.delete(id);
      this.restart.delete(id);
    }
    this.seen.set(uid, running);
  }

  removePod(uid: string): void {
    for (const w of this.workers.get(uid)?.values() ?? []) w.stop();
    this.workers.delete(uid);
    for (const id of this.seen.get(uid) ?? []) {
      this.readiness.delete(id);
      this.startup.delete(id);
      this.restart.delete(id);
    }
    this.seen.delete(uid);
  }
  stopAll(): void {
    for (const mine of this.workers.values()) for (const w of mine.values()) w.stop();
    this.workers.clear();
  }
}
