// The verdict on a run's history: linearizable per key (registers are independent, so each key
// is its own search), one verdict per API.
import { checkKvHistory } from '../sim/linearizability';
import type { Api, HistoryEntry } from './history';
import { toOperations } from './history';

export interface ApiVerdict {
  api: Api;
  ok: boolean;
  status: 'linearizable' | 'not-linearizable' | 'unknown';
  operations: number;
  keys: number;
  counts: { ok: number; fail: number; info: number };
  /** The checker's explanation when not ok. */
  explanation?: string;
}

/** Model steps per key before the answer is "unknown" (which fails the run too). */
const MAX_STEPS_PER_KEY = 2_000_000;

export function checkHistory(entries: readonly HistoryEntry[]): ApiVerdict[] {
  const apis = [...new Set(entries.map((e) => e.api))].sort();
  return apis.map((api) => {
    const mine = entries.filter((e) => e.api === api);
    const counts = { ok: 0, fail: 0, info: 0 };
    for (const e of mine) counts[e.outcome ?? 'info']++;
    const result = checkKvHistory(toOperations(mine, api), { maxSteps: MAX_STEPS_PER_KEY });
    return {
      api,
      ok: result.ok,
      status: result.status,
      operations: result.stats.operations,
      keys: result.stats.partitions,
      counts,
      ...(result.ok ? {} : { explanation: result.explanation }),
    };
  });
}
