// What a run must show to pass: every history linearizable, and every member answering a
// linearizable read and a write (on each API it serves) within the bound after every fault ends.
import type { ProbeKind } from './nemesis/liveness-probe';
import type { JepsenResult } from './run-jepsen';

/** The acceptance criterion: serving again within 2 s of a fault's end. */
export const SERVING_AGAIN_WITHIN_MS = 2000;

export interface Problem {
  what: 'history' | 'liveness';
  message: string;
}

export function assessRun(r: JepsenResult, boundMs = SERVING_AGAIN_WITHIN_MS): Problem[] {
  const problems: Problem[] = [];
  for (const v of r.verdicts) {
    if (!v.ok) problems.push({ what: 'history', message: `${v.api} history: ${v.status}` });
  }
  for (const w of r.windows) {
    for (const p of w.probes) {
      for (const kind of Object.keys({ ...p.ms, ...p.errors }) as ProbeKind[]) {
        const ms = p.ms[kind];
        if (ms !== undefined && ms <= boundMs) continue;
        const took = ms === undefined ? `no success (${p.errors[kind]})` : `${ms} ms`;
        problems.push({
          what: 'liveness',
          message: `after "${w.description}": ${p.member} ${kind} ${took}, bound ${boundMs} ms`,
        });
      }
    }
  }
  return problems;
}
