// Latency summaries. Pure.
export interface Summary {
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU the masters (all three, /proc utime + stime) and this client process used meanwhile. */
  cpu?: CpuSpent;
}

/** Milliseconds of CPU spent by the masters and by the bench client during a phase. */
export interface CpuSpent {
  serverMs: number;
  clientMs: number;
}

/** CPU per operation in microseconds (NaN without a measurement or without operations). */
export function cpuPerOp(s: Summary, side: keyof CpuSpent): number {
  return s.cpu && s.ops > 0 ? (s.cpu[side] * 1000) / s.ops : NaN;
}

export function summarize(ms: number[], errors: number, seconds: number): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    ops: ms.length,
    errors,
    seconds,
    perSecond: seconds > 0 ? ms.length / seconds : 0,
    p50: at(0.5),
    p99: at(0.99),
  };
}

export function row(name: string, s: Summary): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const cpu = s.cpu
    ? `  CPU/op masters ${f(cpuPerOp(s, 'serverMs')).padStart(7)} us, client ${f(cpuPerOp(s, 'clientMs')).padStart(6)} us`
    : '';
  return `${name.padEnd(34)} ${String(s.ops).padStart(7)} ops ${String(s.errors).padStart(4)} err ${f(s.perSecond).padStart(8)}/s  p50 ${f(s.p50).padStart(7)} ms  p99 ${f(s.p99).padStart(7)} ms${cpu}`;
}
