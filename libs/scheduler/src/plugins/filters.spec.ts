// Filter plugins, each case named after the Kubernetes behaviour (and, where there is one, the
// upstream test case) it mirrors; run through a default profile as the scheduler runs them.
import type { Node, Pod } from '../api/types';
import { makeNode, makePod, onNode, world } from '../testing/fixtures';
import { Code } from '../framework/status';

interface Case {
  mirrors: string;
  nodes: Node[];
  bound?: Pod[];
  pod: Pod;
  node: string;
  /** null: the pod fits; else the reason shown to users. */
  reason: string | null;
  code?: Code;
}

const zoned = (name: string, zone: string) =>
  makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } });
const term = (key: string, operator: string, values?: string[]) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }],
    },
  },
});
const antiAffinity = (app: string, topologyKey = 'kubernetes.io/hostname') => ({
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: { app } }, topologyKey },
    ],
  },
});
const affinity = (app: string, topologyKey = 'kubernetes.io/hostname') => ({
  podAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: { app } }, topologyKey },
    ],
  },
});
const spread = (maxSkew: number, key = 'topology.kubernetes.io/zone') => ({
  topologySpreadConstraints: [
    {
      maxSkew,
      topologyKey: key,
      whenUnsatisfiable: 'DoNotSchedule' as const,
      labelSelector: { matchLabels: { app: 'web' } },
    },
  ],
});
const gpuNode = makeNode('n1', { labels: { gpu: 'true', cores: '8' } });

const CASES: Case[] = [
  // NodeResourcesFit (noderesources/fit_test.go TestEnoughRequests)
  {
    mirrors: 'fit: no resources requested always fits',
    nodes: [makeNode('n1', { cpu: '1' })],
    pod: makePod('p'),
    node: 'n1',
    reason: null,
  },
  {
    mirrors: 'fit: too many resources fails (cpu)',
    nodes: [makeNode('n1', { cpu: '2' })],
    bound: [onNode(makePod('x', {}, {}, { cpu: '1500m' }), 'n1')],
    pod: makePod('p', {}, {}, { cpu: '1' }),
    node: 'n1',
    reason: 'Insufficient cpu',
    code: Code.Unschedulable,
  },
  {
    mirrors: 'fit: request larger than allocatable is unresolvable',
    nodes: [makeNode('n1', { cpu: '2' })],
    pod: makePod('p', {}, {}, { cpu: '3' }),
    node: 'n1',
    reason: 'Insufficient cpu',
    code: Code.UnschedulableAndUnresolvable,
  },
  {
    mirrors: 'fit: memory with binary suffixes, exact integers',
    nodes: [makeNode('n1', { memory: '1Gi' })],
    pod: makePod('p', {}, {}, { memory: '1073741825' }),
    node: 'n1',
    reason: 'Insufficient memory',
  },
  {
    mirrors: 'fit: extended resource insufficient',
    nodes: [makeNode('n1', { extra: { 'example.com/gpu': '1' } })],
    pod: makePod('p', {}, {}, { 'example.com/gpu': '2' }),
    node: 'n1',
    reason: 'Insufficient example.com/gpu',
  },
  {
    mirrors:
      "fit: even without specified resources predicate fails when there's no space for additional pod",
    nodes: [makeNode('n1', { pods: '1' })],
    bound: [onNode(makePod('x'), 'n1')],
    pod: makePod('p'),
    node: 'n1',
    reason: 'Too many pods',
  },
  {
    mirrors:
      'fit: init container requests count as their max (too many resources fails due to init container cpu)',
    nodes: [makeNode('n1', { cpu: '2' })],
    pod: makePod('p', {
      initContainers: [{ name: 'i', image: 'img', resources: { requests: { cpu: '3' } } }],
    }),
    node: 'n1',
    reason: 'Insufficient cpu',
  },
  {
    mirrors: 'fit: pod overhead is added to the requests',
    nodes: [makeNode('n1', { cpu: '1' })],
    pod: {
      ...makePod('p', {}, {}, { cpu: '900m' }),
      spec: { ...makePod('p', {}, {}, { cpu: '900m' }).spec!, overhead: { cpu: '200m' } },
    } as Pod,
    node: 'n1',
    reason: 'Insufficient cpu',
  },
  // TaintToleration (tainttoleration/taint_toleration_test.go TestTaintTolerationFilter)
  {
    mirrors:
      "taints: a pod having no tolerations can't be scheduled onto a node with nonempty taints",
    nodes: [
      makeNode('n1', { taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }] }),
    ],
    pod: makePod('p'),
    node: 'n1',
    reason: 'node(s) had untolerated taint {dedicated: user1}',
    code: Code.UnschedulableAndUnresolvable,
  },
  {
    mirrors:
      'taints: a pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule',
    nodes: [
      makeNode('n1', { taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }] }),
    ],
    pod: makePod('p', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }],
    }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors:
      'taints: a pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node',
    nodes: [makeNode('n1', { taints: [{ key: 'foo', value: 'bar', effect: 'NoExecute' }] })],
    pod: makePod('p', { tolerations: [{ key: 'foo', operator: 'Exists', effect: 'NoExecute' }] }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors:
      "taints: the pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match",
    nodes: [makeNode('n1', { taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }] })],
    pod: makePod('p', {
      tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoExecute' }],
    }),
    node: 'n1',
    reason: 'node(s) had untolerated taint {foo: bar}',
  },
  {
    mirrors: 'taints: the pod has no toleration, but the taint effect is PreferNoSchedule',
    nodes: [makeNode('n1', { taints: [{ key: 'foo', value: 'bar', effect: 'PreferNoSchedule' }] })],
    pod: makePod('p'),
    node: 'n1',
    reason: null,
  },
  // NodeUnschedulable
  {
    mirrors: 'unschedulable: a cordoned node turns pods away',
    nodes: [makeNode('n1', { unschedulable: true })],
    pod: makePod('p'),
    node: 'n1',
    reason: 'node(s) were unschedulable',
  },
  {
    mirrors: 'unschedulable: a pod tolerating node.kubernetes.io/unschedulable lands anyway',
    nodes: [makeNode('n1', { unschedulable: true })],
    pod: makePod('p', {
      tolerations: [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
    }),
    node: 'n1',
    reason: null,
  },
  // NodeAffinity (nodeaffinity/node_affinity_test.go TestNodeAffinity)
  {
    mirrors: 'affinity: missing labels (nodeSelector)',
    nodes: [makeNode('n1')],
    pod: makePod('p', { nodeSelector: { foo: 'bar' } }),
    node: 'n1',
    reason: "node(s) didn't match Pod's node affinity/selector",
    code: Code.UnschedulableAndUnresolvable,
  },
  {
    mirrors: 'affinity: same labels (nodeSelector)',
    nodes: [gpuNode],
    pod: makePod('p', { nodeSelector: { gpu: 'true' } }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors: 'affinity: operator In matches',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('gpu', 'In', ['true', 'yes']) }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors: 'affinity: operator NotIn excludes',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('gpu', 'NotIn', ['true']) }),
    node: 'n1',
    reason: "node(s) didn't match Pod's node affinity/selector",
  },
  {
    mirrors: 'affinity: operator Exists',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('gpu', 'Exists') }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors: 'affinity: operator DoesNotExist',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('gpu', 'DoesNotExist') }),
    node: 'n1',
    reason: "node(s) didn't match Pod's node affinity/selector",
  },
  {
    mirrors: 'affinity: operator Gt with an integer label',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('cores', 'Gt', ['4']) }),
    node: 'n1',
    reason: null,
  },
  {
    mirrors: 'affinity: operator Lt with an integer label',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('cores', 'Lt', ['4']) }),
    node: 'n1',
    reason: "node(s) didn't match Pod's node affinity/selector",
  },
  {
    mirrors: 'affinity: a malformed Gt value matches nothing',
    nodes: [gpuNode],
    pod: makePod('p', { affinity: term('cores', 'Gt', ['many']) }),
    node: 'n1',
    reason: "node(s) didn't match Pod's node affinity/selector",
  },
  // NodePorts (nodeports/node_ports_test.go)
  {
    mirrors: 'ports: same port, same protocol conflicts',
    nodes: [makeNode('n1')],
    bound: [
      onNode(
        makePod('x', {
          containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }],
        }),
        'n1',
      ),
    ],
    pod: makePod('p', {
      containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }],
    }),
    node: 'n1',
    reason: "node(s) didn't have free ports for the requested pod ports",
  },
  {
    mirrors: 'ports: same port, different protocol fits',
    nodes: [makeNode('n1')],
    bound: [
      onNode(
        makePod('x', {
          containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }],
        }),
        'n1',
      ),
    ],
    pod: makePod('p', {
      containers: [
        { name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] },
      ],
    }),
    node: 'n1',
    reason: null,
  },
  // PodTopologySpread (podtopologyspread/filtering_test.go)
  {
    mirrors: 'spread: pods spread across zones as 2/0, maxSkew 1: the fuller zone fails',
    nodes: [zoned('a1', 'a'), zoned('b1', 'b')],
    bound: [
      onNode(makePod('w1', {}, { app: 'web' }), 'a1'),
      onNode(makePod('w2', {}, { app: 'web' }), 'a1'),
    ],
    pod: makePod('p', spread(1), { app: 'web' }),
    node: 'a1',
    reason: "node(s) didn't match pod topology spread constraints",
  },
  {
    mirrors: 'spread: ... and the emptier zone fits',
    nodes: [zoned('a1', 'a'), zoned('b1', 'b')],
    bound: [
      onNode(makePod('w1', {}, { app: 'web' }), 'a1'),
      onNode(makePod('w2', {}, { app: 'web' }), 'a1'),
    ],
    pod: makePod('p', spread(1), { app: 'web' }),
    node: 'b1',
    reason: null,
  },
  {
    mirrors: 'spread: a node without the topology key does not fit',
    nodes: [zoned('a1', 'a'), makeNode('bare')],
    pod: makePod('p', spread(1), { app: 'web' }),
    node: 'bare',
    reason: "node(s) didn't match pod topology spread constraints (missing required label)",
  },
  // InterPodAffinity (interpodaffinity/filtering_test.go)
  {
    mirrors: 'interpod: anti-affinity with a pod on the same host fails',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [onNode(makePod('w1', {}, { app: 'web' }), 'n1')],
    pod: makePod('p', { affinity: antiAffinity('web') }, { app: 'web' }),
    node: 'n1',
    reason: "node(s) didn't match pod anti-affinity rules",
  },
  {
    mirrors: 'interpod: anti-affinity is satisfied on another host',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [onNode(makePod('w1', {}, { app: 'web' }), 'n1')],
    pod: makePod('p', { affinity: antiAffinity('web') }, { app: 'web' }),
    node: 'n2',
    reason: null,
  },
  {
    mirrors: "interpod: existing pod's anti-affinity keeps matching pods off its host",
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [onNode(makePod('db', { affinity: antiAffinity('web') }, { app: 'db' }), 'n1')],
    pod: makePod('p', {}, { app: 'web' }),
    node: 'n1',
    reason: "node(s) didn't satisfy existing pods anti-affinity rules",
  },
  {
    mirrors: 'interpod: affinity to a pod on another host fails here',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [onNode(makePod('db', {}, { app: 'db' }), 'n2')],
    pod: makePod('p', { affinity: affinity('db') }),
    node: 'n1',
    reason: "node(s) didn't match pod affinity rules",
  },
  {
    mirrors: 'interpod: affinity to a pod on the same host fits',
    nodes: [makeNode('n1'), makeNode('n2')],
    bound: [onNode(makePod('db', {}, { app: 'db' }), 'n2')],
    pod: makePod('p', { affinity: affinity('db') }),
    node: 'n2',
    reason: null,
  },
];

describe('filter plugins', () => {
  it.each(CASES.map((c) => [c.mirrors, c] as const))('%s', (_name, c) => {
    const { filter } = world(c.nodes, c.bound ?? []);
    const s = filter(c.pod, c.node);
    if (c.reason === null) {
      expect(s?.message).toBeUndefined();
      return;
    }
    expect(s?.reasons).toContain(c.reason);
    if (c.code !== undefined) expect(s?.code).toBe(c.code);
  });

  it('NodeName: a pod naming a node fits only there', () => {
    const { filter } = world([makeNode('n1'), makeNode('n2')]);
    const pod = makePod('p');
    const named = { ...pod, spec: { ...pod.spec!, nodeName: 'n2' } } as Pod;
    expect(filter(named, 'n1')?.reasons).toEqual(["node(s) didn't match the requested node name"]);
    expect(filter(named, 'n2')).toBeNull();
  });
});
