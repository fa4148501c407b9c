// Plain-text reports of Jepsen runs: the faults with how soon each member served again, the
// verdicts, and availability per member; and the same figures of two systems side by side.
import { KindAvailability, MemberAvailability, perSecond, Rate } from './availability';
import type { Api } from './history';
import type { ProbeKind } from './nemesis/liveness-probe';
import type { JepsenResult } from './run-jepsen';

const PROBE_KINDS: ProbeKind[] = ['etcd-read', 'etcd-write', 'kube-read', 'kube-write'];

export function formatRun(r: JepsenResult): string {
  const lines: string[] = [];
  lines.push(
    `== ${r.system}, ${r.schedule} schedule, seed ${r.seed}: ${r.operations} operations, ` +
      `workload ${(r.workloadMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s` +
      (r.kept ? `; kept in ${r.dir}` : ''),
  );
  lines.push('faults (ms from the fault end until each member served: read/write per API):');
  for (const w of r.windows) {
    const probes = w.probes
      .map((p) => {
        const cells = PROBE_KINDS.filter((k) => k in p.ms || k in p.errors).map((k) =>
          p.ms[k] === undefined ? 'never' : String(p.ms[k]),
        );
        return `${p.member} ${cells.join('/')}`;
      })
      .join(', ');
    lines.push(
      `  +${(w.startAt / 1000).toFixed(1)}s ${w.description}, ${Math.round(w.endAt - w.startAt)} ms: ${probes}`,
    );
  }
  for (const v of r.verdicts) {
    lines.push(
      `history ${v.api}: ${v.status} (${v.operations} operations on ${v.keys} keys; ` +
        `ok ${v.counts.ok}, fail ${v.counts.fail}, info ${v.counts.info})`,
    );
    if (v.explanation) lines.push(indent(v.explanation));
  }
  lines.push('ok operations per second, during faults / between faults (worst quiet stretch):');
  for (const k of r.availability) lines.push(...availabilityLines(k));
  return lines.join('\n');
}

function availabilityLines(k: KindAvailability): string[] {
  const apis = [...new Set(k.members.map((m) => m.api))];
  return apis.map((api) => {
    const cells = k.members
      .filter((m) => m.api === api)
      .map((m) => `${m.member} ${rate(m.during)} / ${rate(m.between)} (${rate(m.worstQuiet)})`);
    return `  ${pad(`${k.kind} x${k.faults}`, 24)} ${pad(api, 5)} ${cells.join('   ')}`;
  });
}

/**
 * Two systems on the same harness and schedule: per fault kind, the etcd API's ok operations per
 * second over all members during and between faults, and of the least available member.
 */
export function formatComparison(a: JepsenResult, b: JepsenResult, api: Api = 'etcd'): string {
  const header =
    `${pad('nemesis', 22)} ` +
    [a, b].map((r) => pad(`${r.system} during/between`, 24) + pad(`(min member)`, 16)).join(' ');
  const lines = [`availability on the ${api} API, ok ops/s`, header];
  for (const kind of a.availability.map((k) => k.kind)) {
    const cells = [a, b].map((r) => {
      const members = r.availability
        .find((k) => k.kind === kind)
        ?.members.filter((m) => m.api === api);
      if (!members || members.length === 0) return pad('-', 40);
      const total = (pick: (m: MemberAvailability) => Rate) => totalRate(members.map(pick));
      const worst = (pick: (m: MemberAvailability) => Rate) =>
        Math.min(...members.map((m) => perSecond(pick(m))));
      return (
        pad(`${num(total((m) => m.during))} / ${num(total((m) => m.between))}`, 24) +
        pad(`(${num(worst((m) => m.during))} / ${num(worst((m) => m.between))})`, 16)
      );
    });
    lines.push(`${pad(kind, 22)} ${cells.join(' ')}`);
  }
  return lines.join('\n');
}

/** Members measured over the same windows: their rates add up. */
function totalRate(rates: readonly Rate[]): number {
  return rates.reduce((s, r) => s + perSecond(r), 0);
}

function rate(r: Rate): string {
  return num(perSecond(r));
}

function num(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function pad(s: string, width: number): string {
  return s.length >= width ? `${s} ` : s + ' '.repeat(width - s.length);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
