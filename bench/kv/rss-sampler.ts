// Peak resident memory of each member while one workload runs: VmRSS polled from /proc. (VmHWM
// would be the peak over the member's whole life, not over this workload.)
import { readFileSync } from 'node:fs';
import { MemberProcess } from './member-process';

const POLL_MS = 100;

export class RssSampler {
  private readonly peakKiB = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly members: MemberProcess[]) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), POLL_MS);
    this.timer.unref();
  }

  /** Peak RSS in MiB per member name (members that were not running are left out). */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const out: Record<string, number> = {};
    for (const [name, kib] of this.peakKiB) out[name] = Math.round((kib / 1024) * 10) / 10;
    return out;
  }

  private sample(): void {
    for (const m of this.members) {
      const pid = m.pid;
      if (pid === undefined) continue;
      const kib = readRssKiB(pid);
      if (kib !== undefined) this.peakKiB.set(m.name, Math.max(this.peakKiB.get(m.name) ?? 0, kib));
    }
  }
}

function readRssKiB(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(text);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
