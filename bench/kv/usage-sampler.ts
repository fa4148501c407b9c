// What each member costs while one workload runs: peak resident memory (VmRSS polled from
// /proc; VmHWM would be the peak over the member's whole life, not over this workload) and the
// CPU time it used (utime + stime from /proc/<pid>/stat, all threads, so LevelDB's or Go's
// background work counts too).
import { readFileSync } from 'node:fs';
import { MemberProcess } from './member-process';

const POLL_MS = 100;
/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat on Linux. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface MemberUsage {
  /** Peak RSS in MiB per member name (members that were not running are left out). */
  rssMiB: Record<string, number>;
  /** CPU seconds used by all members together while sampling ran. */
  cpuSeconds: number;
}

export class UsageSampler {
  private readonly peakKiB = new Map<string, number>();
  private readonly cpuAtStart = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly members: MemberProcess[]) {}

  start(): void {
    for (const m of this.members) {
      const ticks = m.pid === undefined ? undefined : readCpuTicks(m.pid);
      if (ticks !== undefined) this.cpuAtStart.set(m.pid!, ticks);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), POLL_MS);
    this.timer.unref();
  }

  stop(): MemberUsage {
    clearInterval(this.timer);
    this.sample();
    const rssMiB: Record<string, number> = {};
    for (const [name, kib] of this.peakKiB) rssMiB[name] = Math.round((kib / 1024) * 10) / 10;
    let ticks = 0;
    for (const [pid, before] of this.cpuAtStart) {
      const now = readCpuTicks(pid);
      if (now !== undefined) ticks += now - before;
    }
    return { rssMiB, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
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

export function readCpuTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
