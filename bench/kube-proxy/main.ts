/**
 * kube-proxy's sync cost with the real nft in a network namespace: a full sync and one incremental
 * change (one Service scaled from 10 to 11 endpoints, then back) at growing Service counts, 10
 * endpoints each, with the size of the table. Printed, not asserted. Needs root.
 *
 *   npx tsx bench/kube-proxy/main.ts [--sizes 100,250,500,900] [--userspace 1000,10000] [--rounds 5]
 *
 * Kernel runs stop at 1200 Services: larger single transactions of this layout (one anonymous
 * verdict map per Service, as upstream writes) cost the kernel time quadratic in the transaction
 * size and soft-lock a CPU on this VM. --userspace sizes are rendered and turned into transaction
 * text only (nothing is sent to the kernel; note that `nft -c` does send it).
 */
import { execFileSync } from 'node:child_process';
import { JsonLogger, memorySink } from '../../libs/observability/src';
import {
  EndpointSlice,
  NftApplier,
  Proxier,
  Service,
  countObjects,
  fullSyncScript,
  incrementalSyncScript,
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
    let commands = 0;
    for (let r = 0; r < rounds; r++) {
      const i = Math.floor(n / 2);
      proxier.onEndpointSliceUpsert(
        endpointSlice(`ns${i % 50}`, i, r % 2 === 0 ? ENDPOINTS + 1 : ENDPOINTS),
      );
      const t = process.hrtime.bigint();
      const out = await proxier.syncNow();
      times.push(ms(t));
      if (!out.ok) throw new Error(`incremental sync failed: ${out.error?.message}`);
      commands = out.script.split('\n').length - 1;
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
      incrementalCommands: commands,
    };
  } finally {
    execFileSync('ip', ['netns', 'del', netns]);
  }
}

function userspaceRun(n: number): Record<string, number> {
  const { services, slices } = objects(n);
  const s = new Scenario(NODE_OPTIONS).with([...services, ...slices]);
  const t0 = process.hrtime.bigint();
  const first = s.plan().next;
  const planMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const text = fullSyncScript({ next: first, existing: undefined, recreateBaseChains: true }).text;
  const scriptMs = ms(t1);
  s.state = first;
  const i = Math.floor(n / 2);
  let prev = first;
  const incTimes: number[] = [];
  let commands = 0;
  for (let r = 0; r < 6; r++) {
    s.with([endpointSlice(`ns${i % 50}`, i, r % 2 === 0 ? ENDPOINTS + 1 : ENDPOINTS)]);
    const t2 = process.hrtime.bigint();
    const next = s.plan().next;
    const inc = incrementalSyncScript({ prev, next, stale: new Set(), deletable: new Set() });
    incTimes.push(ms(t2));
    commands = inc.text.split('\n').length - 1;
    prev = next;
    s.state = next;
  }
  const incMs = median(incTimes);
  const counts = countObjects(first);
  return {
    services: n,
    ...counts,
    scriptMiB: text.length / 2 ** 20,
    planMs,
    scriptMs,
    incrementalUserspaceMs: incMs,
    incrementalCommands: commands,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (network namespaces, nft)');
  const sizes = arg('sizes', '100,250,500,900').split(',').map(Number);
  const userspace = arg('userspace', '1000,10000').split(',').filter(Boolean).map(Number);
  const rounds = Number(arg('rounds', '5'));
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
      'of which nft -f ms': Math.round(r.incrementalNftMs),
      'incremental commands': r.incrementalCommands,
    })),
  );
  if (userspace.length) {
    console.log('\nuserspace only (render + transaction text; nothing sent to the kernel):');
    console.table(
      userspace.map((n) => {
        const r = userspaceRun(n);
        return {
          services: r.services,
          chains: r.chains,
          rules: r.rules,
          'full script MiB': Number(r.scriptMiB.toFixed(1)),
          'plan ms': Math.round(r.planMs),
          'full text ms': Math.round(r.scriptMs),
          'incremental plan+text ms': Number(r.incrementalUserspaceMs.toFixed(1)),
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
