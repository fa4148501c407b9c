// Store apply and range throughput. Run: npx tsx bench/store/apply.ts [entries=20000]
// Applies N encoded put entries (256 B and 2 KiB values, 10k distinct keys) in batches of
// 1, 16 and 256 (no fsync, as the Raft driver applies), then one fsynced batch size, then times
// ranges over the 10k keys. Every loop is bounded by N or a fixed repeat count.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore, encodeCommand, prefixEnd } from '@flotilla/store';

const ENTRIES = Math.max(1000, Number(process.argv[2] ?? 20_000));
const KEYS = 10_000;
const RANGE_REPEATS = 10;

function keyOf(i: number): Buffer {
  return Buffer.from(`/registry/pods/default/pod-${String(i % KEYS).padStart(6, '0')}`);
}

async function withStore<T>(fn: (store: MvccStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-store-'));
  const store = await MvccStore.open(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function applyPuts(
  store: MvccStore,
  valueBytes: number,
  batchSize: number,
  sync: boolean,
  entries: number,
): Promise<number> {
  const value = Buffer.alloc(valueBytes, 0x61);
  const commands = Array.from({ length: entries }, (_, i) =>
    encodeCommand({ type: 'put', request: { key: keyOf(i), value } }),
  );
  const start = process.hrtime.bigint();
  for (let i = 0; i < entries; i += batchSize) {
    const batch = commands
      .slice(i, i + batchSize)
      .map((command, j) => ({ index: store.appliedIndex + j + 1, command }));
    await store.applyBatch(batch, { sync });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return entries / seconds;
}

async function main(): Promise<void> {
  console.log(`store apply: ${ENTRIES} put entries per run, ${KEYS} distinct keys`);
  for (const valueBytes of [256, 2048]) {
    for (const batchSize of [1, 16, 256]) {
      const rate = await withStore((s) => applyPuts(s, valueBytes, batchSize, false, ENTRIES));
      console.log(
        `  value ${String(valueBytes).padStart(4)} B  batch ${String(batchSize).padStart(3)}  ${Math.round(rate).toLocaleString('en-US').padStart(9)} entries/s`,
      );
    }
    const syncEntries = Math.min(ENTRIES, 2048);
    const synced = await withStore((s) => applyPuts(s, valueBytes, 256, true, syncEntries));
    console.log(
      `  value ${String(valueBytes).padStart(4)} B  batch 256 sync ${Math.round(synced).toLocaleString('en-US').padStart(9)} entries/s`,
    );
  }

  await withStore(async (store) => {
    await applyPuts(store, 256, 256, false, KEYS);
    const prefix = Buffer.from('/registry/pods/');
    const timings: number[] = [];
    let count = 0;
    for (let i = 0; i < RANGE_REPEATS; i++) {
      const start = process.hrtime.bigint();
      const r = await store.range({ key: prefix, rangeEnd: prefixEnd(prefix) });
      timings.push(Number(process.hrtime.bigint() - start) / 1e6);
      count = r.kvs.length;
    }
    timings.sort((a, b) => a - b);
    const countOnly = process.hrtime.bigint();
    await store.range({ key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true });
    const countMs = Number(process.hrtime.bigint() - countOnly) / 1e6;
    console.log(
      `range over ${count} keys (256 B values): median ${timings[timings.length >> 1].toFixed(1)} ms, ` +
        `max ${timings[timings.length - 1].toFixed(1)} ms; count_only ${countMs.toFixed(1)} ms`,
    );
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
