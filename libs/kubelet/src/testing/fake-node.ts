// A kubelet over the fake runtime with a manual clock, for unit tests: time moves only when the
// test says, and every sync runs to the end before the test looks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubelet, type KubeletOptions } from '../kubelet';
import { MemoryEvents } from '../pod/events';
import { MemoryObjectSource } from '../pod/object-source';
import type { Pod, PodStatus } from '../pod/types';
import type { ProbeOutcome, ProbeRunner, ProbeTarget } from '../probes/probe-runner';
import type { Probe } from '../pod/types';
import { FakeRuntime } from '../runtime/fake/fake-runtime';
import { ManualClock } from '../util/clock';
import { MemoryMounter } from '../volumes/mounter';

/** Probe answers chosen by the test, per container name (default: success). */
export class ScriptedProber implements ProbeRunner {
  readonly answers = new Map<string, boolean>();
  readonly runs: string[] = [];

  async run(_probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
    this.runs.push(target.container.name);
    const ok = this.answers.get(target.container.name) ?? true;
    return { ok, output: ok ? '' : 'scripted failure' };
  }
}

export class FakeNode {
  readonly clock = new ManualClock();
  readonly runtime: FakeRuntime;
  readonly objects = new MemoryObjectSource();
  readonly events = new MemoryEvents();
  readonly prober = new ScriptedProber();
  readonly mounter = new MemoryMounter();
  readonly rootDir: string;
  readonly statuses: { pod: string; status: PodStatus }[] = [];
  readonly terminated: string[] = [];
  kubelet!: Kubelet;

  constructor(
    runtime?: FakeRuntime,
    rootDir?: string,
    public overrides: Partial<KubeletOptions> = {},
  ) {
    this.runtime = runtime ?? new FakeRuntime({ clock: this.clock });
    this.rootDir = rootDir ?? mkdtempSync(join(tmpdir(), 'kubelet-node-'));
    this.kubelet = this.newKubelet();
  }

  newKubelet(): Kubelet {
    return new Kubelet({
      ...this.baseOptions(),
      ...this.overrides,
    });
  }

  private baseOptions(): KubeletOptions {
    return {
      nodeName: 'w1',
      runtime: this.runtime,
      objects: this.objects,
      hostIPs: ['10.231.0.1'],
      layout: {
        cgroupRoot: '/flotilla-w1',
        podLogRoot: join(this.rootDir, 'logs'),
        clusterDns: [],
        clusterDomain: 'cluster.local',
        memoryCapacityBytes: 8 * 2 ** 30,
      },
      node: { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 20 * 2 ** 30 },
      rootDir: this.rootDir,
      clock: this.clock,
      events: this.events,
      prober: this.prober,
      mounter: this.mounter,
      onStatus: (pod, status) => this.statuses.push({ pod: pod.metadata.name, status }),
      onTerminated: (pod) => this.terminated.push(pod.metadata.name),
    };
  }

  async start(): Promise<void> {
    await this.kubelet.start();
  }

  /**
   * Waits until every sync has finished, or is blocked on the manual clock (a stop waiting for
   * its grace period): then no runtime call happens while the test waits.
   */
  async settle(): Promise<void> {
    let calls = -1;
    let quiet = 0;
    const deadline = Date.now() + 20_000;
    while (this.kubelet.busy && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
      if (this.runtime.waitingForClock === 0) continue;
      quiet = this.runtime.calls.length === calls ? quiet + 1 : 0;
      calls = this.runtime.calls.length;
      if (quiet >= 20) break;
    }
  }

  /** Moves the clock in steps of stepMs, letting every sync finish after each step. */
  async advance(ms: number, stepMs = 500): Promise<void> {
    await this.settle();
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - t));
      await this.settle();
    }
  }

  status(pod: Pod): PodStatus {
    const s = this.kubelet.status(pod.metadata.uid);
    if (!s) throw new Error(`no status for ${pod.metadata.name}`);
    return s;
  }

  cleanup(): void {
    this.kubelet.stop();
    rmSync(this.rootDir, { recursive: true, force: true });
  }
}
