// The result rows, their Flotilla/etcd ratios, and the printed tables. Pure formatting.
import { SYSTEMS, SystemName } from './cluster';
import { Summary, round } from './stats';

export interface SystemResult {
  summary: Summary;
  /** Peak VmRSS per member during this workload, MiB. */
  rssMiB: Record<string, number>;
  /** CPU time of all members together per operation (the cost that limits throughput here). */
  cpuMsPerOp?: number;
  /** Raft term increase while the workload ran: elections, i.e. leadership lost under load. */
  termChanges?: number;
}

export interface Ratio {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  cpuMsPerOp: number;
  maxRssMiB: number;
}

export interface WorkloadRow {
  name: string;
  /** What ops/s and latency mean for this row when it is not one request. */
  unit?: string;
  results: Partial<Record<SystemName, SystemResult>>;
  /** Flotilla / etcd, both plain. */
  ratio?: Ratio;
  /** Flotilla / etcd, both with TLS. */
  tlsRatio?: Ratio;
  /** With TLS / without, per system: what TLS costs each. */
  tlsCost?: Partial<Record<'flotilla' | 'etcd', Ratio>>;
  skipped?: string;
  extra?: Partial<Record<SystemName, unknown>>;
}

function maxRss(r: SystemResult): number {
  return Math.max(0, ...Object.values(r.rssMiB));
}

/** Fills the row's ratios from whichever systems it has results for. */
export function addRatios(row: WorkloadRow): void {
  row.ratio = ratioOf(row);
  row.tlsRatio = ratioOf(row, 'flotilla-tls', 'etcd-tls');
  const cost: WorkloadRow['tlsCost'] = {};
  for (const s of ['flotilla', 'etcd'] as const) {
    const r = ratioOf(row, `${s}-tls`, s);
    if (r) cost[s] = r;
  }
  if (Object.keys(cost).length > 0) row.tlsCost = cost;
}

export function ratioOf(
  row: WorkloadRow,
  a: SystemName = 'flotilla',
  b: SystemName = 'etcd',
): Ratio | undefined {
  const f = row.results[a];
  const e = row.results[b];
  if (f === undefined || e === undefined) return undefined;
  // A latency at or below zero (a watch event that beat the write's ack) has no meaningful
  // ratio: the table shows '-' and both figures.
  const div = (a: number, b: number): number => (a > 0 && b > 0 ? round(a / b, 2) : Number.NaN);
  return {
    opsPerSec: div(f.summary.opsPerSec, e.summary.opsPerSec),
    p50Ms: div(f.summary.p50Ms, e.summary.p50Ms),
    p99Ms: div(f.summary.p99Ms, e.summary.p99Ms),
    p999Ms: div(f.summary.p999Ms, e.summary.p999Ms),
    cpuMsPerOp: div(f.cpuMsPerOp ?? Number.NaN, e.cpuMsPerOp ?? Number.NaN),
    maxRssMiB: div(maxRss(f), maxRss(e)),
  };
}

const HEAD = [
  'system',
  'ops/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'errors',
  'CPU ms/op',
  'peak RSS MiB per member',
];
const WIDTH = [14, 10, 9, 9, 9, 7, 9, 0];

function line(cells: string[]): string {
  return (
    '  ' +
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(WIDTH[i]) : c.padStart(WIDTH[i]),
      )
      .join('  ')
  ).trimEnd();
}

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function formatRow(row: WorkloadRow): string {
  const out = [`${row.name}${row.unit === undefined ? '' : `  (${row.unit})`}`];
  if (row.skipped !== undefined) {
    out.push(`  skipped: ${row.skipped}`);
    return out.join('\n');
  }
  out.push(line(HEAD));
  for (const system of SYSTEMS) {
    const r = row.results[system];
    if (r === undefined) continue;
    const s = r.summary;
    const rss = Object.entries(r.rssMiB)
      .map(([n, v]) => `${n} ${v.toFixed(0)}`)
      .join(', ');
    const elections = r.termChanges ? `; ${r.termChanges} election(s) during the run` : '';
    out.push(
      line([
        system,
        num(s.opsPerSec, 0),
        num(s.p50Ms, 2),
        num(s.p99Ms, 2),
        num(s.p999Ms, 2),
        String(s.errors),
        num(r.cpuMsPerOp ?? Number.NaN, 3),
        rss + elections,
      ]),
    );
  }
  const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-');
  const ratioLine = (label: string, q: Ratio | undefined, note = '') => {
    if (q === undefined) return;
    out.push(
      line([
        label,
        x(q.opsPerSec),
        x(q.p50Ms),
        x(q.p99Ms),
        x(q.p999Ms),
        '',
        x(q.cpuMsPerOp),
        `max ${x(q.maxRssMiB)}${note}`,
      ]),
    );
  };
  ratioLine('F/etcd', row.ratio);
  ratioLine('F/etcd TLS', row.tlsRatio);
  for (const s of ['flotilla', 'etcd'] as const) {
    const q = row.tlsCost?.[s];
    const lost =
      q && Number.isFinite(q.opsPerSec)
        ? `; TLS costs ${((1 - q.opsPerSec) * 100).toFixed(1)}% of ops/s`
        : '';
    ratioLine(`${s === 'flotilla' ? 'F' : 'etcd'} TLS/plain`, q, lost);
  }
  return out.join('\n');
}
