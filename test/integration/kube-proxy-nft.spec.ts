// The rendered rulesets against a real kernel: every golden loads, and after any sequence of
// changes the table the incremental syncs built is the table a full sync would write.
import { JsonLogger, memorySink } from '@flotilla/observability';
import {
  EndpointSlice,
  NftApplier,
  NftError,
  NftSession,
  NftSessionLost,
  Proxier,
  Service,
  fullSyncScript,
  nftSessionSpawner,
  processRunner,
  proxyMetrics,
} from '@flotilla/kube-proxy';
import { NODE_OPTIONS, port, service, slice } from '@flotilla/kube-proxy/testing/fixtures';
import { GOLDEN_DIR, Scenario } from '@flotilla/kube-proxy/testing/golden';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { inNs, requireTools, sh } from './support/netns-lab';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const A = `kn${process.pid}-a`;
const B = `kn${process.pid}-b`;

beforeAll(() => {
  requireTools(['ip', 'nft', 'nsenter']);
  for (const ns of [A, B]) {
    sh(['ip', 'netns', 'add', ns]);
  }
});

afterAll(() => {
  for (const ns of [A, B]) {
    try {
      sh(['ip', 'netns', 'del', ns]);
    } catch {
      // not created
    }
  }
});

function reset(ns: string): void {
  const tables = inNs(ns, ['nft', 'list', 'tables']);
  if (tables.includes('kube-proxy')) inNs(ns, ['nft', 'delete', 'table', 'ip', 'kube-proxy']);
}

describe('golden rulesets in a kernel', () => {
  const golden = (name: string) => readFileSync(join(GOLDEN_DIR, name), 'utf8');

  it.each(readdirSync(GOLDEN_DIR).filter((f) => f.startsWith('svc-')))(
    '%s loads on top of the base',
    (file) => {
      reset(A);
      inNs(A, ['nft', '-f', '-'], golden('full-base.nft'));
      inNs(A, ['nft', '-f', '-'], golden(file));
    },
  );

  it.each(['full-base-nodeport-all.nft', 'full-ipv6.nft'])('%s loads', (file) => {
    reset(A);
    inNs(A, ['nft', '-f', '-'], golden(file));
    inNs(A, ['nft', 'delete', 'table', file.includes('ipv6') ? 'ip6' : 'ip', 'kube-proxy']);
  });
});

/** The table as text with the order of chains, sets and elements made irrelevant. */
function normalizedTable(ns: string): string {
  const text = inNs(ns, ['nft', 'list', 'table', 'ip', 'kube-proxy']);
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^(chain|set|map) /.test(line)) current = [line];
    else if (line === '}' && current) {
      blocks.push(normalizeBlock(current));
      current = undefined;
    } else if (current && line !== '') current.push(line);
  }
  return blocks.sort().join('\n');
}

function normalizeBlock(lines: string[]): string {
  const joined = lines.join(' ');
  const m = /^(.*?)elements = \{ (.*) \}(.*)$/.exec(joined);
  if (!m) return joined;
  const elements = m[2]
    .split(/,\s*/)
    .map((e) => e.trim())
    .sort();
  return `${m[1]}elements = { ${elements.join(', ')} }${m[3]}`;
}

/** A small deterministic random source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('incremental syncs build the same table as a full sync', () => {
  it.each([
    ['one nft -f per sync', false],
    ['incremental syncs through an nft -i session', true],
  ])(
    'over 40 random changes (Services, endpoints, affinity, NodePorts, policies): %s',
    async (_how, session) => {
      reset(A);
      reset(B);
      const random = rng(42);
      const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
      const proxier = new Proxier({
        options: NODE_OPTIONS,
        applier: new NftApplier(
          processRunner({ netns: A }),
          'ip',
          'nft',
          session ? new NftSession(nftSessionSpawner('nft', A)) : undefined,
        ),
        metrics: proxyMetrics(new Registry()),
        logger: new JsonLogger({ node: 'w1', component: 'kube-proxy', sink: memorySink() }),
        config: {
          minSyncPeriodMs: 20,
          syncPeriodMs: 3600_000,
          retryBaseMs: 100,
          staleChainDelayMs: 50,
        },
      });
      const live = new Map<string, Service | EndpointSlice>();
      proxier.onServicesSynced();
      proxier.onEndpointSlicesSynced();

      const makeService = (i: number): Service => {
        const kind = pick(['ClusterIP', 'NodePort', 'LoadBalancer'] as const);
        return service(
          'demo',
          `s${i}`,
          {
            type: kind,
            clusterIP: `10.96.1.${i}`,
            ports: [
              port(80, { name: 'http', ...(kind !== 'ClusterIP' ? { nodePort: 30000 + i } : {}) }),
            ],
            ...(random() < 0.3
              ? {
                  sessionAffinity: 'ClientIP',
                  sessionAffinityConfig: { clientIP: { timeoutSeconds: pick([60, 120]) } },
                }
              : {}),
            ...(random() < 0.3 && kind !== 'ClusterIP' ? { externalTrafficPolicy: 'Local' } : {}),
            ...(random() < 0.2 ? { internalTrafficPolicy: 'Local' } : {}),
            ...(random() < 0.2 ? { externalIPs: [`203.0.113.${i}`] } : {}),
          },
          kind === 'LoadBalancer'
            ? { loadBalancer: { ingress: [{ ip: `198.51.100.${i}` }] } }
            : undefined,
        );
      };
      const makeSlice = (i: number): EndpointSlice => {
        const n = Math.floor(random() * 4);
        const eps = Array.from({ length: n }, (_, k) => ({
          ip: `10.244.${1 + Math.floor(random() * 2)}.${10 + k + 5 * (i % 4)}`,
          node: pick(['w1', 'w2']),
          ready: random() < 0.85,
          serving: true,
          terminating: random() < 0.15,
        }));
        return slice('demo', `s${i}`, eps, [{ name: 'http', port: 8080 }]);
      };

      for (let step = 0; step < 40; step++) {
        const i = 1 + Math.floor(random() * 10);
        const svcKey = `svc/${i}`;
        const r = random();
        if (r < 0.35 || !live.has(svcKey)) {
          const svc = makeService(i);
          live.set(svcKey, svc);
          proxier.onServiceUpsert(svc);
        } else if (r < 0.8) {
          const sl = makeSlice(i);
          live.set(`slice/${i}`, sl);
          proxier.onEndpointSliceUpsert(sl);
        } else {
          proxier.onServiceDelete(live.get(svcKey) as Service);
          live.delete(svcKey);
        }
        await waitFor('the proxy to sync', () => (proxier.inSync ? true : undefined), 30_000, 10);
        expect(proxier.lastSync?.ok).toBe(true);

        // The same objects, written whole into a fresh table.
        const fresh = new Scenario(NODE_OPTIONS).with([...live.values()]);
        const { next } = fresh.plan();
        reset(B);
        inNs(
          B,
          ['nft', '-f', '-'],
          fullSyncScript({ next, existing: undefined, recreateBaseChains: false }).text,
        );
        expect(normalizedTable(A)).toBe(normalizedTable(B));
      }
      await proxier.stop();
    },
  );
});

describe('an nft -i session against the real nft', () => {
  it('applies transactions, reports a refused one with its error and keeps going', async () => {
    reset(A);
    inNs(A, ['nft', 'add', 'table', 'ip', 'kube-proxy']);
    const session = new NftSession(nftSessionSpawner('nft', A));
    try {
      await session.apply('add chain ip kube-proxy a\nadd rule ip kube-proxy a counter\n');
      const refused = session.apply(
        'add chain ip kube-proxy b\nadd rule ip kube-proxy nochain counter\n',
      );
      await expect(refused).rejects.toThrow(NftError);
      await expect(refused).rejects.not.toThrow(NftSessionLost);
      await expect(refused).rejects.toThrow(/No such file or directory/);
      // All of the refused line or none of it: chain b was not made either.
      await session.apply('add chain ip kube-proxy c\n');
      const table = inNs(A, ['nft', 'list', 'table', 'ip', 'kube-proxy']);
      expect(table).toMatch(/chain a \{\s+counter packets 0 bytes 0\s+\}/);
      expect(table).toContain('chain c');
      expect(table).not.toContain('chain b');
    } finally {
      session.close();
      reset(A);
    }
  });
});
