// A Jepsen-style history: every operation is invoked, then completes as ok (it happened, with
// this result), fail (it certainly did not happen) or info (unknown: a timed-out write may still
// take effect, at any later moment). Events are numbered in one sequence in the order the
// harness saw them, which is real time for the checker, and carry a clock reading for the
// availability figures.
import type { KvInput, KvOperation, KvOutput } from '../sim/linearizability';

export type Api = 'etcd' | 'kube';
export type Outcome = 'ok' | 'fail' | 'info';

export interface HistoryEntry {
  /** The client that issued it, e.g. `etcd-3`. */
  client: string;
  /** The member the client is pinned to. */
  member: string;
  api: Api;
  input: KvInput;
  call: number;
  /** Milliseconds since the history began. */
  callAt: number;
  outcome?: Outcome;
  ret?: number;
  retAt?: number;
  output?: KvOutput;
  error?: string;
}

export class History {
  readonly entries: HistoryEntry[] = [];
  private sequence = 0;

  constructor(private readonly clock: () => number) {}

  invoke(client: string, member: string, api: Api, input: KvInput): HistoryEntry {
    const entry: HistoryEntry = {
      client,
      member,
      api,
      input,
      call: this.sequence++,
      callAt: this.clock(),
    };
    this.entries.push(entry);
    return entry;
  }

  ok(entry: HistoryEntry, output: KvOutput): void {
    this.end(entry, 'ok').output = output;
  }

  /** The operation certainly had no effect (a read that failed, a refused precondition...). */
  fail(entry: HistoryEntry, error: string): void {
    this.end(entry, 'fail').error = error;
  }

  /** Unknown whether it took effect: it stays pending for the checker. */
  info(entry: HistoryEntry, error: string): void {
    this.end(entry, 'info').error = error;
  }

  private end(entry: HistoryEntry, outcome: Outcome): HistoryEntry {
    if (entry.outcome !== undefined) {
      throw new Error(
        `operation ${entry.call} of ${entry.client} already ended (${entry.outcome})`,
      );
    }
    entry.outcome = outcome;
    entry.ret = this.sequence++;
    entry.retAt = this.clock();
    return entry;
  }
}

/**
 * The operations of one API as the linearizability checker takes them: ok ones with their
 * result, info ones (and any still open) pending, failed ones left out.
 */
export function toOperations(entries: readonly HistoryEntry[], api: Api): KvOperation[] {
  const ops: KvOperation[] = [];
  for (const e of entries) {
    if (e.api !== api || e.outcome === 'fail') continue;
    const callTick = Math.round(e.callAt);
    if (e.outcome === 'ok') {
      ops.push({
        client: e.client,
        input: e.input,
        call: e.call,
        ret: e.ret,
        output: e.output,
        callTick,
        returnTick: Math.round(e.retAt!),
      });
    } else {
      ops.push({ client: e.client, input: e.input, call: e.call, callTick });
    }
  }
  return ops;
}

/** One JSON object per line, for reading a failed run afterwards. */
export function historyLines(entries: readonly HistoryEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
