/**
 * kube-proxy's sync cost with the real nft in a network namespace: a full sync and one incremental
 * change (one Service scaled from 10 to 11 endpoints, then back) at growing Service counts, 10
 * endpoints each, with the size of the table. Printed, not asserted. Needs root.
 *
 * An incremental change is split into ours (planning, diff, transaction text, spawning nft) and
 * `nft -f` run alone on the same transaction (wall time, and the CPU it spent in nft itself and
 * in the kernel); the userspace rows run the proxier's whole incremental sync with no kernel.
 *
 *   npx tsx bench/kube-proxy/main.ts [--sizes 100,250,500,900] [--userspace 1000,10000] [--rounds 5]
 *
 * Kernel runs stop at 1200 Services: larger single transactions of this layout (one anonymous
 * verdict map per Service, as upstream writes) cost the kernel time quadratic in the transaction
 * size and soft-lock a CPU on this VM. --userspace sizes are rendered and turned into transaction
 * text only (nothing is sent to the kernel; note that `nft -c` does send it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger, memorySink } from '../../libs/observability/src';
import {
  EndpointSlice,
  NftApplier,
  NftSession,
  Proxier,
  Service,
  countObjects,
  fullSyncScript,
  nftSessionSpawner,
  processRunner,
  proxyMetrics,
} from '../../libs/kube-proxy/src';
import { NODE_OPTIONS, port, service, slice } from '../../libs/kube-proxy/src/testing/fixtures';
import { Scenario } from '../../libs/kube-proxy/src/testing/golden';
import { Registry } from 'prom-client';

const KERNEL_LIMIT = 1200;
/** This machine's nft wrapper refuses larger transactions (they soft-locked its kernel). */
const SCRIPT_LIMIT_BYTES = 5_000_000;
const ENDPOINTS = 10;

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

function objects(n: number): { services: Service[]; slices: EndpointSlice[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    const ns = `ns${i % 50}`;
    services.push(
      service(ns, `svc${i}`, {
        clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
        ports: [port(80, { name: 'http' })],
      }),
    );
    slices.push(endpointSlice(ns, i, ENDPOINTS));
  }
  return { services, slices };
}

function endpointSlice(ns: string, i: number, count: number): EndpointSlice {
  const eps = Array.from({ length: count }, (_, k) => ({
    ip: `10.${128 + ((i >> 8) & 63)}.${i & 255}.${k + 1}`,
    node: k % 2 === 0 ? 'w1' : 'w2',
  }));
  return slice(ns, `svc${i}`, eps, [{ name: 'http', port: 8080 }]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

interface KernelRow {
  services: number;
  chains: number;
  rules: number;
  elements: number;
  scriptKiB: number;
  fullMs: number;
  fullRenderMs: number;
  incrementalMs: number;
  /** Of which `nft -f` itself. */
  incrementalNftMs: number;
  incrementalCommands: number;
  /** `nft -f` alone on the same transactions: wall, CPU in nft, CPU in the kernel (medians). */
  aloneWallMs: number;
  aloneUserMs: number;
  aloneSysMs: number;
  /** `nft -f` of an empty file: starting the process. */
  emptyWallMs: number;
  /** The same transactions through one long-lived `nft -i` (what the node agent does). */
  sessionMs: number;
}

/** Runs `nft -f file` in `netns` under bash's `time`: [wall, user, sys] in ms. */
function nftAlone(netns: string, file: string): [number, number, number] {
  const r = spawnSync('ip', [
    'netns',
    'exec',
    netns,
    'bash',
    '-c',
    `TIMEFORMAT='%3R %3U %3S'; time nft -f ${file}`,
  ]);
  if (r.status !== 0) throw new Error(`nft -f ${file}: ${r.stderr.toString()}`);
  const last = r.stderr.toString().trim().split('\n').at(-1) ?? '';
  const [wall, user, sys] = last.split(' ').map((x) => Number(x) * 1000);
  return [wall, user, sys];
}

function medians(samples: [number, number, number][]): [number, number, number] {
  return [0, 1, 2].map((j) => median(samples.map((x) => x[j]))) as [number, number, number];
}

async function kernelRun(n: number, rounds: number): Promise<KernelRow> {
  const netns = `kb${process.pid}`;
  execFileSync('ip', ['netns', 'add', netns]);
  try {
    const nft = new NftApplier(processRunner({ netns }), 'ip');
    const applyTimes: number[] = [];
    const timed = {
      apply: async (script: string) => {
        const t = process.hrtime.bigint();
        await nft.apply(script);
        applyTimes.push(ms(t));
      },
      list: () => nft.list(),
      deleteTable: () => nft.deleteTable(),
    };
    const proxier = new Proxier({
      options: NODE_OPTIONS,
      applier: timed,
      metrics: proxyMetrics(new Registry()),
      logger: new JsonLogger({ node: 'bench', component: 'kube-proxy', sink: memorySink() }),
      config: { minSyncPeriodMs: 3600_000, syncPeriodMs: 3600_000 },
    });
    const { services, slices } = objects(n);
    for (const s of services) proxier.onServiceUpsert(s);
    for (const s of slices) proxier.onEndpointSliceUpsert(s);
    // Syncs run by hand (syncNow): the runner's first sync is stopped before it starts.
    await proxier.stop();
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();

    const renderStart = process.hrtime.bigint();
    const planned = new Scenario(NODE_OPTIONS).with([...services, ...slices]).plan().next;
    const fullText = fullSyncScript({
      next: planned,
      existing: undefined,
      recreateBaseChains: true,
    }).text;
    const fullRenderMs = ms(renderStart);
    if (fullText.length > SCRIPT_LIMIT_BYTES) {
      throw new Error(
        `${n} Services make a ${fullText.length}-byte transaction: above this machine's ${SCRIPT_LIMIT_BYTES}-byte limit`,
      );
    }

    const t0 = process.hrtime.bigint();
    const full = await proxier.syncNow();
    const fullMs = ms(t0);
    if (!full.ok) throw new Error(`full sync failed: ${full.error?.message}`);

    const times: number[] = [];
    const scripts: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const i = Math.floor(n / 2);
      proxier.onEndpointSliceUpsert(
        endpointSlice(`ns${i % 50}`, i, r % 2 === 0 ? ENDPOINTS + 1 : ENDPOINTS),
      );
      const t = process.hrtime.bigint();
      const out = await proxier.syncNow();
      times.push(ms(t));
      if (!out.ok) throw new Error(`incremental sync failed: ${out.error?.message}`);
      scripts.push(out.script);
    }
    // The same transactions again, by nft alone, in turn (the one that fits the table first).
    const dir = mkdtempSync(join(tmpdir(), 'bench-kube-proxy-'));
    const alone: [number, number, number][] = [];
    const empty: [number, number, number][] = [];
    try {
      // After an odd number of rounds the table holds ENDPOINTS + 1: scaling down comes first.
      const order = rounds % 2 === 1 ? [scripts[1], scripts[0]] : [scripts[0], scripts[1]];
      const files = order.map((text, k) => {
        const file = join(dir, `step${k}.nft`);
        writeFileSync(file, text);
        return file;
      });
      const emptyFile = join(dir, 'empty.nft');
      writeFileSync(emptyFile, '');
      for (let r = 0; r < 2 * rounds; r++) {
        alone.push(nftAlone(netns, files[r % 2]));
        empty.push(nftAlone(netns, emptyFile));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const [aloneWallMs, aloneUserMs, aloneSysMs] = medians(alone);
    // And through a session: the first transaction starts it and is not counted.
    const session = new NftSession(nftSessionSpawner('nft', netns));
    const sessionTimes: number[] = [];
    try {
      const order = rounds % 2 === 1 ? [scripts[1], scripts[0]] : [scripts[0], scripts[1]];
      for (let r = 0; r <= 2 * rounds; r++) {
        const t = process.hrtime.bigint();
        await session.apply(order[r % 2]);
        if (r > 0) sessionTimes.push(ms(t));
      }
    } finally {
      session.close();
    }
    const counts = countObjects(proxier.appliedState!);
    return {
      services: n,
      ...counts,
      scriptKiB: Math.round(fullText.length / 1024),
      fullMs,
      fullRenderMs,
      incrementalMs: median(times),
      incrementalNftMs: median(applyTimes.slice(1)),
      incrementalCommands: scripts[0].split('\n').length - 1,
      aloneWallMs,
      aloneUserMs,
      aloneSysMs,
      emptyWallMs: medians(empty)[0],
      sessionMs: median(sessionTimes),
    };
  } finally {
    execFileSync('ip', ['netns', 'del', netns]);
  }
}

/** The proxier's whole incremental sync (plan, diff, text, bookkeeping) with no kernel. */
async function userspaceRun(n: number): Promise<Record<string, number>> {
  const { services, slices } = objects(n);
  const s = new Scenario(NODE_OPTIONS).with([...services, ...slices]);
  const t0 = process.hrtime.bigint();
  const first = s.plan().next;
  const planMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const text = fullSyncScript({ next: first, existing: undefined, recreateBaseChains: true }).text;
  const scriptMs = ms(t1);

  const proxier = new Proxier({
    options: NODE_OPTIONS,
    applier: {
      apply: async () => undefined,
      list: async () => undefined,
      deleteTable: async () => true,
    },
    metrics: proxyMetrics(new Registry()),
    logger: new JsonLogger({ node: 'bench', component: 'kube-proxy', sink: memorySink() }),
    config: { minSyncPeriodMs: 3600_000, syncPeriodMs: 3600_000 },
  });
  for (const o of services) proxier.onServiceUpsert(o);
  for (const o of slices) proxier.onEndpointSliceUpsert(o);
  await proxier.stop();
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
  await proxier.syncNow();
  const i = Math.floor(n / 2);
  const incTimes: number[] = [];
  const incCpu: number[] = [];
  let commands = 0;
  for (let r = 0; r < 40; r++) {
    proxier.onEndpointSliceUpsert(
      endpointSlice(`ns${i % 50}`, i, r % 2 === 0 ? ENDPOINTS + 1 : ENDPOINTS),
    );
    const cpu = process.cpuUsage();
    const t2 = process.hrtime.bigint();
    const out = await proxier.syncNow();
    incTimes.push(ms(t2));
    const used = process.cpuUsage(cpu);
    incCpu.push((used.user + used.system) / 1000);
    commands = out.script.split('\n').length - 1;
  }
  const counts = countObjects(first);
  return {
    services: n,
    ...counts,
    scriptMiB: text.length / 2 ** 20,
    planMs,
    scriptMs,
    incrementalUserspaceMs: median(incTimes),
    // CPU time: what a loaded machine's scheduling does not change.
    incrementalUserspaceCpuMs: median(incCpu),
    incrementalCommands: commands,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (network namespaces, nft)');
  const sizes = arg('sizes', '100,250,500,900').split(',').map(Number);
  const userspace = arg('userspace', '1000,10000').split(',').filter(Boolean).map(Number);
  const rounds = Math.max(2, Number(arg('rounds', '5')));
  for (const n of sizes) {
    if (n > KERNEL_LIMIT)
      throw new Error(
        `--sizes ${n}: kernel runs stop at ${KERNEL_LIMIT} Services (see the header of this file)`,
      );
  }
  console.log(
    `kube-proxy sync, ${ENDPOINTS} endpoints per Service, nft ${execFileSync('nft', ['--version']).toString().trim()}, kernel ${execFileSync('uname', ['-r']).toString().trim()}`,
  );
  console.log('\nwith the kernel (one nft -f per sync, in a fresh network namespace):');
  const rows: KernelRow[] = [];
  for (const n of sizes) rows.push(await kernelRun(n, rounds));
  console.table(
    rows.map((r) => ({
      services: r.services,
      chains: r.chains,
      rules: r.rules,
      'map/set elements': r.elements,
      'full script KiB': r.scriptKiB,
      'full sync ms': Math.round(r.fullMs),
      'of which render+text ms': Math.round(r.fullRenderMs),
      'µs per Service (full)': Math.round((r.fullMs * 1000) / r.services),
      'incremental ms (median)': Math.round(r.incrementalMs),
      'of which ours ms': Number((r.incrementalMs - r.incrementalNftMs).toFixed(1)),
      'incremental commands': r.incrementalCommands,
    })),
  );
  console.log(
    '\none incremental change, `nft -f` alone on the same transaction (medians; CPU split by bash time):',
  );
  console.table(
    rows.map((r) => ({
      services: r.services,
      'through the proxier ms': Math.round(r.incrementalMs),
      'nft -f alone, wall ms': Math.round(r.aloneWallMs),
      'CPU in nft (user) ms': Math.round(r.aloneUserMs),
      'CPU in the kernel (sys) ms': Math.round(r.aloneSysMs),
      'nft -f of an empty file ms': Math.round(r.emptyWallMs),
      'in an nft -i session ms': Math.round(r.sessionMs),
    })),
  );
  if (userspace.length) {
    console.log('\nuserspace only (the proxier with no kernel; full: plan and text):');
    const results = [];
    for (const n of userspace) results.push(await userspaceRun(n));
    console.table(
      results.map((r) => {
        return {
          services: r.services,
          chains: r.chains,
          rules: r.rules,
          'full script MiB': Number(r.scriptMiB.toFixed(1)),
          'plan ms': Math.round(r.planMs),
          'full text ms': Math.round(r.scriptMs),
          'incremental sync ms (median of 40)': Number(r.incrementalUserspaceMs.toFixed(2)),
          'of which CPU ms': Number(r.incrementalUserspaceCpuMs.toFixed(2)),
          'incremental commands': r.incrementalCommands,
        };
      }),
    );
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
