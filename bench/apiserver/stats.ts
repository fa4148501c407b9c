// Latency summaries. Pure.
export interface Summary {
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
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
  return `${name.padEnd(34)} ${String(s.ops).padStart(7)} ops ${String(s.errors).padStart(4)} err ${f(s.perSecond).padStart(8)}/s  p50 ${f(s.p50).padStart(7)} ms  p99 ${f(s.p99).padStart(7)} ms`;
}
