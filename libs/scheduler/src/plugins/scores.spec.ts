// Score plugins through the whole cycle (weights and normalization as in a default profile):
// which node wins, for the behaviour each case names.
import type { Node, Pod } from '../api/types';
import type { Profile } from '../config/types';
import { CycleState } from '../framework/cycle-state';
import { PodInfo } from '../framework/pod-info';
import type { Status } from '../framework/status';
import { makeNode, makePod, onNode, world } from '../testing/fixtures';

interface Case {
  mirrors: string;
  nodes: Node[];
  bound?: Pod[];
  pod: Pod;
  winner: string;
  profile?: Profile;
}

const busy = (node: string, cpu = '3') =>
  onNode(makePod(`busy-${node}`, {}, {}, { cpu, memory: '4Gi' }), node);
const zoned = (name: string, zone: string) =>
  makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } });
const web = (name: string, node: string) => onNode(makePod(name, {}, { app: 'web' }), node);

const CASES: Case[] = [
  {
    mirrors: 'LeastAllocated (default): the emptier node wins',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [busy('n1')],
    pod: makePod('p', {}, {}, { cpu: '500m' }),
    winner: 'n2',
  },
  {
    mirrors: 'MostAllocated (scoringStrategy): the fuller node wins (bin packing)',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [busy('n1')],
    pod: makePod('p', {}, {}, { cpu: '500m' }),
    winner: 'n1',
    profile: {
      schedulerName: 'packer',
      pluginConfig: [
        { name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } },
      ],
    },
  },
  {
    mirrors: 'TaintToleration: a node with an untolerated PreferNoSchedule taint loses',
    nodes: [
      makeNode('n1', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }),
      makeNode('n2'),
    ],
    pod: makePod('p'),
    winner: 'n2',
  },
  {
    mirrors: 'NodeAffinity: preferred terms pull the pod to the matching node',
    nodes: [makeNode('n1'), makeNode('n2', { labels: { disk: 'ssd' } })],
    pod: makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
          ],
        },
      },
    }),
    winner: 'n2',
  },
  {
    mirrors: 'PodTopologySpread ScheduleAnyway: the zone with fewer matching pods wins',
    nodes: [zoned('a1', 'a'), zoned('b1', 'b')],
    bound: [web('w1', 'a1'), web('w2', 'a1')],
    pod: makePod(
      'p',
      {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { app: 'web' } },
          },
        ],
      },
      { app: 'web' },
    ),
    winner: 'b1',
  },
  {
    mirrors: 'InterPodAffinity: preferred anti-affinity steers away from matching pods',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [web('w1', 'n1')],
    pod: makePod('p', {
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'web' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
    }),
    winner: 'n2',
  },
  {
    mirrors: 'InterPodAffinity: preferred affinity pulls toward matching pods',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [web('w1', 'n2')],
    pod: makePod('p', {
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'web' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
    }),
    winner: 'n2',
  },
];

describe('score plugins', () => {
  it.each(CASES.map((c) => [c.mirrors, c] as const))('%s', (_name, c) => {
    const { schedule } = world(c.nodes, c.bound ?? [], c.profile);
    expect(schedule(c.pod)).toBe(c.winner);
  });
});

describe('DefaultPreemption', () => {
  it('evicts the lowest-priority pods on the node where that is enough, and nominates it', () => {
    const low = (name: string, node: string, priority: number) =>
      onNode(makePod(name, { priority }, {}, { cpu: '3' }), node);
    const { fwk, cache, evictions } = world(
      [makeNode('n1'), makeNode('n2')],
      [low('important', 'n1', 500), low('cheap', 'n2', 10)],
    );
    const preemptor = new PodInfo(makePod('p', { priority: 1000 }, {}, { cpu: '2' }));
    const statuses = new Map<string, Status>();
    const state = new CycleState();
    fwk.runPreFilter(state, preemptor, cache.nodeInfos());
    for (const n of cache.nodeInfos()) statuses.set(n.name, fwk.runFilter(state, preemptor, n)!);
    const out = fwk.runPostFilter(state, preemptor, statuses);
    expect(out.status).toBeNull();
    expect(out.result?.nominatedNodeName).toBe('n2');
    expect(evictions).toEqual([{ preemptor: 'p', node: 'n2', victims: ['cheap'] }]);
  });

  it('does not preempt with preemptionPolicy Never', () => {
    const { fwk, cache, evictions } = world(
      [makeNode('n1')],
      [onNode(makePod('v', { priority: 0 }, {}, { cpu: '4' }), 'n1')],
    );
    const preemptor = new PodInfo(
      makePod('p', { priority: 1000, preemptionPolicy: 'Never' }, {}, { cpu: '2' }),
    );
    const state = new CycleState();
    fwk.runPreFilter(state, preemptor, cache.nodeInfos());
    const statuses = new Map([['n1', fwk.runFilter(state, preemptor, cache.get('n1')!)!]]);
    const out = fwk.runPostFilter(state, preemptor, statuses);
    expect(out.status?.message).toBe('not eligible due to preemptionPolicy=Never.');
    expect(evictions).toEqual([]);
  });
});
