// Availability as a figure: operations completed (ok) per second while a fault was in place and
// in the quiet stretch after it, per member and per API, by fault kind. An operation counts
// where it completed.
import type { Api, HistoryEntry } from './history';
import type { FaultKind } from './nemesis/faults';
import type { FaultWindow } from './nemesis/schedule';

export interface Rate {
  ops: number;
  seconds: number;
}

export interface MemberAvailability {
  member: string;
  api: Api;
  during: Rate;
  between: Rate;
  /** The slowest quiet stretch of this member: a member that stopped serving shows here. */
  worstQuiet: Rate;
}

export interface KindAvailability {
  kind: FaultKind | 'all';
  faults: number;
  members: MemberAvailability[];
}

/** Per fault kind (and 'all'), per API and member. */
export function availability(
  entries: readonly HistoryEntry[],
  windows: readonly FaultWindow[],
  members: readonly string[],
): KindAvailability[] {
  const apis = [...new Set(entries.map((e) => e.api))].sort();
  const kinds = [...new Set(windows.map((w) => w.kind))];
  const okAt = new Map<string, number[]>();
  for (const e of entries) {
    if (e.outcome !== 'ok') continue;
    const k = `${e.api}/${e.member}`;
    let list = okAt.get(k);
    if (!list) okAt.set(k, (list = []));
    list.push(e.retAt!);
  }
  for (const list of okAt.values()) list.sort((a, b) => a - b);

  const forWindows = (ws: readonly FaultWindow[]): MemberAvailability[] =>
    apis.flatMap((api) =>
      members.map((member) => {
        const times = okAt.get(`${api}/${member}`) ?? [];
        const during = sum(ws.map((w) => count(times, w.startAt, w.endAt, w.endAt - w.startAt)));
        const quiet = ws.map((w) => count(times, w.endAt, w.quietUntil, w.quietUntil - w.endAt));
        const worstQuiet = quiet.reduce<Rate>(
          (worst, r) => (perSecond(r) < perSecond(worst) ? r : worst),
          quiet[0] ?? { ops: 0, seconds: 0 },
        );
        return { member, api, during, between: sum(quiet), worstQuiet };
      }),
    );

  return [
    ...kinds.map((kind) => {
      const ws = windows.filter((w) => w.kind === kind);
      return { kind, faults: ws.length, members: forWindows(ws) };
    }),
    { kind: 'all' as const, faults: windows.length, members: forWindows(windows) },
  ];
}

export function perSecond(rate: Rate): number {
  return rate.seconds > 0 ? rate.ops / rate.seconds : 0;
}

function count(sorted: readonly number[], from: number, to: number, ms: number): Rate {
  return { ops: upperBound(sorted, to) - upperBound(sorted, from), seconds: ms / 1000 };
}

function sum(rates: readonly Rate[]): Rate {
  return rates.reduce((a, r) => ({ ops: a.ops + r.ops, seconds: a.seconds + r.seconds }), {
    ops: 0,
    seconds: 0,
  });
}

/** How many values are <= x. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
