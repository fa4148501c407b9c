import { formatEvent } from './failover-tracker';
import { NodeView, PodView, WorkerFailoverTracker } from './worker-tracker';

const node = (name: string, ready = 'True', taints: string[] = []): NodeView => ({
  name,
  ready,
  taints,
});
const pod = (
  name: string,
  nodeName: string | undefined,
  extra: Partial<PodView> = {},
): PodView => ({
  namespace: 'default',
  name,
  node: nodeName,
  ready: true,
  deleting: false,
  owned: true,
  ...extra,
});

describe('the timeline of a worker failure', () => {
  const nodes = [node('w1'), node('w2')];
  const before = [
    pod('web-a', 'w1'),
    pod('web-b', 'w1'),
    pod('web-c', 'w2'),
    pod('bare', 'w1', { owned: false }),
  ];

  it('NotReady and tainted, evicted, replaced and Ready elsewhere: then nothing is missing', () => {
    const t = new WorkerFailoverTracker('w1', nodes, before);
    expect(t.strandedCount).toBe(2);
    expect(t.missing()).toEqual([
      'node w1 NotReady',
      '2 pod(s) evicted from w1',
      '2 replacement pod(s) Ready on other nodes',
    ]);
    const lines = (ns: NodeView[], ps: PodView[], at: number) =>
      t.observe(ns, ps, at).map(formatEvent);
    const down = [node('w1', 'Unknown', ['node.kubernetes.io/unreachable:NoExecute']), node('w2')];
    expect(lines(down, before, 21_000)).toEqual([
      '  21000 ms  node w1 NotReady (Ready=Unknown)',
      '  21000 ms  node w1 tainted node.kubernetes.io/unreachable:NoExecute',
    ]);
    const evicting = [
      pod('web-a', 'w1', { deleting: true }),
      pod('web-c', 'w2'),
      pod('web-d', 'w2', { ready: false }),
      pod('bare', 'w1'),
    ];
    expect(lines(down, evicting, 30_000)).toEqual([
      '  30000 ms  pod default/web-a evicted from w1 (Terminating)',
      '  30000 ms  pod default/web-b evicted from w1 (deleted)',
      '  30000 ms  pod default/web-d scheduled on w2',
    ]);
    expect(t.missing()).toEqual(['2 replacement pod(s) Ready on other nodes']);
    const replaced = [
      ...evicting.slice(0, 2),
      pod('web-d', 'w2'),
      pod('web-e', 'w2'),
      pod('bare', 'w1'),
    ];
    expect(lines(down, replaced, 32_000)).toEqual([
      '  32000 ms  pod default/web-d Running and Ready on w2',
      '  32000 ms  pod default/web-e scheduled on w2',
      '  32000 ms  pod default/web-e Running and Ready on w2',
    ]);
    expect(t.missing()).toEqual([]);
    expect(lines([node('w1'), node('w2')], replaced, 40_000)).toEqual([
      '  40000 ms  node w1 Ready again',
      '  40000 ms  node w1 untainted node.kubernetes.io/unreachable:NoExecute',
    ]);
  });

  it("counts only replacements made by the stranded pods' controllers, not other new pods", () => {
    const web = { owner: 'rs-web' };
    const t = new WorkerFailoverTracker('w1', nodes, [
      pod('web-a', 'w1', web),
      pod('web-c', 'w2', web),
    ]);
    const down = [node('w1', 'Unknown'), node('w2')];
    t.observe(down, [pod('web-a', 'w1', web), pod('web-c', 'w2', web)], 1000);
    // Someone scales another Deployment meanwhile: its pods run Ready on w2.
    const other = [
      pod('web-a', 'w1', { ...web, deleting: true }),
      pod('web-c', 'w2', web),
      pod('api-x', 'w2', { owner: 'rs-api' }),
    ];
    expect(t.observe(down, other, 2000).map(formatEvent)).toEqual([
      '   2000 ms  pod default/web-a evicted from w1 (Terminating)',
    ]);
    expect(t.missing()).toEqual(['1 replacement pod(s) Ready on other nodes']);
    const replaced = [...other, pod('web-d', 'w2', web)];
    expect(t.observe(down, replaced, 3000).map(formatEvent)).toEqual([
      '   3000 ms  pod default/web-d scheduled on w2',
      '   3000 ms  pod default/web-d Running and Ready on w2',
    ]);
    expect(t.missing()).toEqual([]);
  });

  it('a bare pod (no controller) is not waited for: nothing makes it again', () => {
    const t = new WorkerFailoverTracker('w1', nodes, [pod('bare', 'w1', { owned: false })]);
    t.observe([node('w1', 'Unknown'), node('w2')], [], 1000);
    expect(t.missing()).toEqual([]);
  });
});
