// Failover: a steady write load on the followers, SIGKILL the leader, and measure how long no
// write was acknowledged: from the last ack before the kill to the first ack of a request sent
// after it. Then restart the killed member and wait until the cluster is whole again.
import { performance } from 'node:perf_hooks';
import { KvClient } from './client';
import { BenchCluster, sleep } from './cluster';
import { podKey } from './keys';
import { Samples } from './stats';

/** Short per-request deadline, so requests stuck on the dead leader are retried promptly. */
const REQUEST_TIMEOUT_MS = 250;
const RETRY_PAUSE_MS = 5;
const RESTART_TIMEOUT_MS = 60_000;

export interface FailoverSpec {
  rounds: number;
  steadyMs: number;
  maxOutageMs: number;
  concurrency: number;
  /** Absolute time (Date.now()) after which no new round starts. */
  deadline: number;
}

export interface FailoverRound {
  killed: string;
  windowMs: number | null;
  /** Requests that failed or timed out during the round (includes the outage). */
  failedRequests: number;
}

export async function runFailover(
  cluster: BenchCluster,
  spec: FailoverSpec,
): Promise<{ rounds: FailoverRound[]; samples: Samples }> {
  const samples = new Samples();
  const rounds: FailoverRound[] = [];
  for (let r = 0; r < spec.rounds && Date.now() < spec.deadline; r++) {
    const round = await oneRound(cluster, spec, r);
    rounds.push(round);
    if (round.windowMs === null) samples.addError(`round ${r}: no ack after the kill`);
    else samples.add(round.windowMs);
  }
  return { rounds, samples };
}

async function oneRound(
  cluster: BenchCluster,
  spec: FailoverSpec,
  round: number,
): Promise<FailoverRound> {
  const leader = await cluster.leaderIndex();
  const survivors = cluster.endpoints.filter((_, i) => i !== leader);
  const clients = Array.from(
    { length: 4 },
    (_, i) => new KvClient(survivors[i % survivors.length]),
  );
  const value = Buffer.alloc(256, 0x66);
  let killAt = Number.POSITIVE_INFINITY;
  let lastAckBefore = Number.NaN;
  let firstAckAfter = Number.NaN;
  let failed = 0;
  let stop = false;
  let seq = 0;
  const worker = async (w: number): Promise<void> => {
    while (!stop) {
      const sentAt = performance.now();
      try {
        const key = podKey(`failover-${round}`, seq++ % 10_000);
        await clients[w % clients.length].put({ key, value }, REQUEST_TIMEOUT_MS);
        const ackAt = performance.now();
        if (ackAt < killAt)
          lastAckBefore = Number.isNaN(lastAckBefore) ? ackAt : Math.max(lastAckBefore, ackAt);
        else if (sentAt >= killAt && (Number.isNaN(firstAckAfter) || ackAt < firstAckAfter)) {
          firstAckAfter = ackAt;
        }
      } catch {
        failed++;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  };
  const workers = Array.from({ length: spec.concurrency }, (_, w) => worker(w));
  const killed = cluster.members[leader];
  try {
    await sleep(spec.steadyMs);
    killAt = performance.now();
    await killed.kill();
    const giveUp = killAt + spec.maxOutageMs;
    while (Number.isNaN(firstAckAfter) && performance.now() < giveUp) await sleep(5);
    await sleep(300);
  } finally {
    stop = true;
    await Promise.all(workers);
    for (const c of clients) c.close();
  }
  await cluster.restartMember(leader, RESTART_TIMEOUT_MS);
  const windowMs =
    Number.isNaN(firstAckAfter) || Number.isNaN(lastAckBefore)
      ? null
      : Math.round((firstAckAfter - lastAckBefore) * 10) / 10;
  return { killed: killed.name, windowMs, failedRequests: failed };
}
