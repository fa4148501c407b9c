// While a master is cut off from the others, writes through it alone (its own API port, no
// failover) must fail: it has no quorum, so nothing it is asked to write may commit. This probe
// tries one write at a time (a create of a ConfigMap that never exists: no read goes first, so
// the answer is the write's own) and reports each kind of refusal once, and any write accepted.
import { ApiError } from '@flotilla/api';
import { connectFromKubeconfig } from '@flotilla/client';

const TRY_EVERY_MS = 1000;
/** Longer than a Raft election, shorter than most partitions. */
const REQUEST_TIMEOUT_MS = 5000;
const MAX_REASONS = 3;

export interface IsolatedWriter {
  /** Writes that ended while the member was still cut off: refused, and accepted (must be 0). */
  readonly refused: number;
  readonly accepted: number;
  /** The partition is over: results arriving from now on say nothing about it. */
  stop(): void;
}

export function startIsolatedWriter(
  kubeconfig: string,
  member: string,
  probe: { namespace: string; name: string },
  report: (outcome: 'refused' | 'accepted', detail: string) => void,
): IsolatedWriter {
  const { client } = connectFromKubeconfig({
    kubeconfig,
    context: `flotilla-${member}`,
    failover: 'none',
    component: 'flotilla',
    rateLimit: false,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    connectTimeoutMs: 1000,
    rounds: 1,
    // /readyz of a cut-off master is slow to fail (its read barrier times out) and the client
    // would give up on the master for that alone: the probe wants the write's own answer.
    pingPath: '/livez',
  });
  let stopped = false;
  let inFlight = false;
  let refused = 0;
  const reasons = new Set<string>();
  let accepted = 0;
  const attempt = () => {
    if (stopped || inFlight) return;
    inFlight = true;
    client
      .configMaps(probe.namespace)
      .create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: probe.name, namespace: probe.namespace },
        data: { written: 'through a master cut off from the others: it must not be' },
      })
      .then(
        () => {
          if (stopped) return;
          accepted++;
          report('accepted', `ConfigMap ${probe.namespace}/${probe.name}`);
        },
        (err: unknown) => {
          if (stopped) return;
          refused++;
          // Each kind of refusal once: a leader's pending proposal timing out, then "no leader".
          const detail = describe(err);
          if (!reasons.has(detail) && reasons.size < MAX_REASONS) {
            reasons.add(detail);
            report('refused', detail);
          }
        },
      )
      .finally(() => {
        inFlight = false;
      });
  };
  const timer = setInterval(attempt, TRY_EVERY_MS);
  attempt();
  return {
    get refused() {
      return refused;
    },
    get accepted() {
      return accepted;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      client.close();
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof ApiError) return `HTTP ${err.code}: ${err.message.split('\n')[0]}`;
  return String((err as Error)?.message ?? err).split('\n')[0];
}
