/**
 * The Raft core alone: three members in memory, no disk, no network, no clock. Prints how many
 * proposals per second the core processes and how many messages each committed entry costs at
 * batch sizes 1, 16 and 256 (proposals made between two Ready cycles travel together).
 *
 *   npx tsx bench/raft/main.ts [--entries N] [--seconds S]
 */
import { TestCluster } from '../../libs/raft/src/testing/cluster';

interface Row {
  batch: number;
  entries: number;
  seconds: number;
  perSecond: number;
  messagesPerEntry: number;
  appendsPerEntry: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function run(batch: number, entries: number, maxSeconds: number): Row {
  const c = new TestCluster(['a', 'b', 'c'], { maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 256 });
  c.elect('a');
  c.stabilize();
  const leader = c.node('a');
  const payload = new Uint8Array(256);
  const startCommit = leader.raft.log.committed;
  c.sent.length = 0;
  const started = performance.now();
  let proposed = 0;
  let id = 0;
  const deadline = started + maxSeconds * 1000;
  while (proposed < entries && performance.now() < deadline) {
    for (let i = 0; i < batch; i++) leader.propose(payload, id++);
    proposed += batch;
    c.stabilize();
    // The harness keeps every message and applied entry: drop them so memory stays flat.
    if (c.sent.length > 100_000) c.sent.length = 0;
    for (const m of c.members.values()) m.applied.length = 0;
  }
  const seconds = (performance.now() - started) / 1000;
  const committed = leader.raft.log.committed - startCommit;
  return {
    batch,
    entries: committed,
    seconds,
    perSecond: committed / seconds,
    messagesPerEntry: 0,
    appendsPerEntry: 0,
  };
}

function countMessages(
  batch: number,
  rounds: number,
): { all: number; appends: number; committed: number } {
  const c = new TestCluster(['a', 'b', 'c']);
  c.elect('a');
  c.stabilize();
  const leader = c.node('a');
  const start = leader.raft.log.committed;
  c.sent.length = 0;
  let id = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < batch; i++) leader.propose(new Uint8Array(64), id++);
    c.stabilize();
  }
  const committed = leader.raft.log.committed - start;
  return { all: c.sent.length, appends: c.sent.filter((m) => m.type === 'app').length, committed };
}

const entries = arg('entries', 200_000);
const seconds = arg('seconds', 10);
const rows: Row[] = [];
for (const batch of [1, 16, 256]) {
  const row = run(batch, entries, seconds);
  const counts = countMessages(batch, Math.max(4, Math.floor(2048 / batch)));
  row.messagesPerEntry = counts.all / counts.committed;
  row.appendsPerEntry = counts.appends / counts.committed;
  rows.push(row);
}
console.log('Raft core alone: 3 members in memory, 256-byte entries, no I/O');
console.log('batch  committed  seconds  proposals/s  messages/entry  appends/entry');
for (const r of rows) {
  console.log(
    `${String(r.batch).padStart(5)}  ${String(r.entries).padStart(9)}  ${r.seconds.toFixed(2).padStart(7)}  ${Math.round(r.perSecond).toString().padStart(11)}  ${r.messagesPerEntry.toFixed(3).padStart(14)}  ${r.appendsPerEntry.toFixed(3).padStart(13)}`,
  );
}
