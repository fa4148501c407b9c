// Golden incremental transactions: after the first full sync, each kind of change sends only what
// it touches. test/integration/kube-proxy-nft.spec.ts replays them against a real kernel.
import type { EndpointSlice, Service } from './api-types';
import type { DesiredState } from './desired-state';
import { NODE_OPTIONS, port, service, slice } from './testing/fixtures';
import { Scenario, expectGolden } from './testing/golden';
import { fullSyncScript, incrementalSyncScript } from './transaction';

const web = (spec: Partial<Service['spec']> = {}) =>
  service('demo', 'web', { clusterIP: '10.96.0.10', ports: [port(80, { name: 'http' })], ...spec });
const api = service('demo', 'api', { clusterIP: '10.96.0.11', ports: [port(8080)] });
const webSlice = (...ips: string[]) =>
  slice(
    'demo',
    'web',
    ips.map((ip) => ({ ip })),
    [{ name: 'http', port: 8080 }],
  );
const apiSlice = slice('demo', 'api', [{ ip: '10.244.3.3' }], [{ port: 8080 }]);

/** Applies `initial` as a full sync, then `change`; returns the incremental transaction. */
function step(
  initial: (Service | EndpointSlice)[],
  change: (s: Scenario) => void,
  stale: { stale?: string[]; deletable?: string[] } = {},
) {
  const s = new Scenario(NODE_OPTIONS).with(initial);
  const prev = s.plan().next;
  s.state = prev;
  change(s);
  const { next, changed } = s.plan();
  const input = {
    prev,
    next,
    stale: new Set(stale.stale ?? []),
    deletable: new Set(stale.deletable ?? []),
  };
  // What the proxier sends (only the Service ports the planner says changed) is what comparing
  // every Service port would give.
  expect(changed).toBeDefined();
  const script = incrementalSyncScript({ ...input, changed });
  expect(script).toEqual(incrementalSyncScript(input));
  return { prev, next, script, text: strip(script.text) };
}

/** Golden texts without the repeated "ip kube-proxy" table name. */
function strip(text: string): string {
  return text.replaceAll(' ip kube-proxy ', ' ');
}

describe('incremental sync', () => {
  it('sends nothing when nothing changed', () => {
    expect(step([web(), webSlice('10.244.1.5')], () => undefined).text).toBe('');
  });

  it('a Service added: its chains, rules and elements only', () => {
    const { text } = step([web(), webSlice('10.244.1.5')], (s) => s.with([api, apiSlice]));
    expectGolden('incr-service-added', text);
    expect(text).not.toContain('demo/web');
  });

  it('a Service deleted: its elements removed, its chains flushed and left for later deletion', () => {
    const { text, script } = step([web(), webSlice('10.244.1.5'), api, apiSlice], (s) =>
      s.without([api]),
    );
    expectGolden('incr-service-deleted', text);
    expect(script.newlyStale.sort()).toEqual([
      'endpoint-ELF5MZYU-demo/api/tcp/__10.244.3.3/8080',
      'service-ZXXRLKZ3-demo/api/tcp/',
    ]);
    expect(text).not.toContain('delete chain');
  });

  it('stale chains are deleted by a later sync', () => {
    const stale = [
      'service-ZXXRLKZ3-demo/api/tcp/',
      'endpoint-ELF5MZYU-demo/api/tcp/__10.244.3.3/8080',
    ];
    const { text, script } = step([web(), webSlice('10.244.1.5')], () => undefined, {
      stale,
      deletable: stale,
    });
    expectGolden('incr-stale-deleted', text);
    expect(script.deleted).toEqual(stale);
  });

  it('an endpoint added (scale up): one new chain, the Service chain rewritten', () => {
    const { text } = step([web(), webSlice('10.244.1.5')], (s) =>
      s.with([webSlice('10.244.1.5', '10.244.2.7')]),
    );
    expectGolden('incr-endpoint-added', text);
    expect(text).toContain('numgen random mod 2 vmap');
    expect(text).not.toContain('flush chain endpoint-6UVIXZI4');
  });

  it('an endpoint removed: its chain flushed, the Service chain rewritten', () => {
    const { text, script } = step([web(), webSlice('10.244.1.5', '10.244.2.7')], (s) =>
      s.with([webSlice('10.244.1.5')]),
    );
    expectGolden('incr-endpoint-removed', text);
    expect(script.newlyStale).toEqual(['endpoint-22EEGIMG-demo/web/tcp/http__10.244.2.7/8080']);
  });

  it('scale to zero: the ClusterIP moves from the dispatch map to the reject map', () => {
    const { text } = step([web(), webSlice('10.244.1.5')], (s) => s.with([webSlice()]));
    expectGolden('incr-scale-to-zero', text);
    expect(text).toContain('delete element service-ips { 10.96.0.10 . tcp . 80 }');
    expect(text).toContain(
      'add element no-endpoint-services { 10.96.0.10 . tcp . 80 comment "demo/web:http" : goto reject-chain }',
    );
  });

  it('scale up from zero: the reverse', () => {
    const { text } = step([web(), webSlice()], (s) => s.with([webSlice('10.244.1.5')]));
    expectGolden('incr-scale-from-zero', text);
    expect(text).toContain('delete element no-endpoint-services { 10.96.0.10 . tcp . 80 }');
  });

  it('a changed affinity timeout re-creates the sets and rewrites the rules that name them', () => {
    const affinity = (timeoutSeconds: number) =>
      web({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds } } });
    const { text } = step([affinity(60), webSlice('10.244.1.5')], (s) => s.with([affinity(120)]));
    expectGolden('incr-affinity-timeout', text);
    const flushAt = text.indexOf('flush chain endpoint-');
    const deleteAt = text.indexOf('delete set affinity-');
    const addAt = text.indexOf('add set affinity-');
    const ruleAt = text.indexOf('update @affinity-');
    expect(flushAt).toBeGreaterThanOrEqual(0);
    expect(flushAt).toBeLessThan(deleteAt);
    expect(deleteAt).toBeLessThan(addAt);
    expect(addAt).toBeLessThan(ruleAt);
  });

  it('a NodePort that was in conflict is taken over when its first owner goes', () => {
    const other = service('demo', 'other', {
      type: 'NodePort',
      clusterIP: '10.96.0.12',
      ports: [port(80, { nodePort: 30080 })],
    });
    const first = web({ type: 'NodePort', ports: [port(80, { name: 'http', nodePort: 30080 })] });
    const s = new Scenario(NODE_OPTIONS).with([first, webSlice('10.244.1.5')]);
    const a = s.plan().next;
    s.state = a;
    const withConflict = s.with([other]).plan();
    expect(withConflict.problems).toHaveLength(1);
    s.state = withConflict.next;
    const b = s.without([first]).plan();
    expect(b.problems).toEqual([]);
    const text = strip(
      incrementalSyncScript({
        prev: withConflict.next,
        next: b.next,
        stale: new Set(),
        deletable: new Set(),
      }).text,
    );
    expectGolden('incr-conflict-takeover', text);
    expect(text).toContain('delete element service-nodeports { tcp . 30080 }');
    expect(text).toContain(
      'add element no-endpoint-nodeports { tcp . 30080 comment "demo/other" : goto reject-chain }',
    );
  });

  it('a re-added Service revives its stale chains instead of deleting them', () => {
    const { script } = step([web(), webSlice('10.244.1.5')], (s) => s.with([api, apiSlice]), {
      stale: ['service-ZXXRLKZ3-demo/api/tcp/'],
      deletable: ['service-ZXXRLKZ3-demo/api/tcp/'],
    });
    expect(script.revived).toEqual(['service-ZXXRLKZ3-demo/api/tcp/']);
    expect(script.deleted).toEqual([]);
    expect(script.text).toContain('flush chain ip kube-proxy service-ZXXRLKZ3-demo/api/tcp/');
  });
});

describe('full sync against an existing table', () => {
  function state(objects: (Service | EndpointSlice)[]): DesiredState {
    return new Scenario(NODE_OPTIONS).with(objects).plan().next;
  }

  it('flushes chains nobody wants, drops stale affinity sets, re-creates base chains once', () => {
    const next = state([web(), webSlice('10.244.1.5')]);
    const script = fullSyncScript({
      next,
      existing: {
        chains: ['services', 'service-AXK6CI2C-demo/web/tcp/http', 'service-OLD-demo/gone/tcp/'],
        sets: new Map([
          ['affinity-OLD-demo/gone/tcp/__10.0.0.1/80', 10800],
          ['cluster-ips', undefined],
        ]),
      },
      recreateBaseChains: true,
    });
    expect(script.newlyStale).toEqual(['service-OLD-demo/gone/tcp/']);
    const text = strip(script.text);
    expect(text).toContain('flush chain service-OLD-demo/gone/tcp/');
    expect(text).toContain('delete set affinity-OLD-demo/gone/tcp/__10.0.0.1/80');
    expect(text).not.toContain('delete set cluster-ips');
    expect(text.indexOf('add chain nat-output\ndelete chain nat-output')).toBeGreaterThanOrEqual(0);
  });

  it('re-creates an affinity set whose timeout differs in the kernel', () => {
    const next = state([
      web({
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      webSlice('10.244.1.5'),
    ]);
    const name = 'affinity-6UVIXZI4-demo/web/tcp/http__10.244.1.5/8080';
    const text = strip(
      fullSyncScript({
        next,
        existing: { chains: [], sets: new Map([[name, 30]]) },
        recreateBaseChains: false,
      }).text,
    );
    expect(text).toContain(
      `delete set ${name}\nadd set ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }`,
    );
    const same = strip(
      fullSyncScript({
        next,
        existing: { chains: [], sets: new Map([[name, 60]]) },
        recreateBaseChains: false,
      }).text,
    );
    expect(same).not.toContain('delete set');
  });
});
