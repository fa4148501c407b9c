/**
 * The scheduling cycle alone (no API): a default profile over a cache of N nodes in 10 zones,
 * 5000 pods scheduled and assumed one after the other, basic or with zone spread and required
 * anti-affinity (the pods of bench/scheduler/main.ts). Prints pods/s and per-pod p50/p99: what
 * the scheduler could sustain if the API kept up.
 *
 *   npx tsx bench/scheduler/algorithm.ts [--pods N] [--nodes 1000,5000]
 */
import {
  CycleState,
  PodInfo,
  PodScheduler,
  SchedulerCache,
  buildFramework,
} from '@flotilla/scheduler';
import type { Node, Pod } from '@flotilla/client';
import { summarize } from '../apiserver/stats';
import { benchPod } from './pods';

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const PODS = Number(arg('pods', '5000'));
const NODES = arg('nodes', '1000,5000').split(',').map(Number);

function node(i: number): Node {
  const r = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    metadata: {
      name: `n${i}`,
      labels: {
        'kubernetes.io/hostname': `n${i}`,
        'topology.kubernetes.io/zone': `zone-${i % 10}`,
      },
    },
    status: { capacity: r, allocatable: r },
  } as Node;
}

for (const nodes of NODES) {
  for (const mix of ['basic', 'spread']) {
    const cache = new SchedulerCache();
    for (let i = 0; i < nodes; i++) cache.addNode(node(i));
    const fwk = buildFramework(
      { schedulerName: 'default-scheduler' },
      {
        handle: {
          snapshot: cache,
          namespaceLabels: () => ({}),
          namespaces: () => [{ name: 'default', labels: {} }],
          services: () => [],
          replicaSets: () => [],
          podDisruptionBudgets: () => [],
          nominatedPodsForNode: () => [],
          random: Math.random,
          now: Date.now,
        },
        preemption: { execute: () => undefined },
        bind: async () => undefined,
      },
    );
    const algorithm = new PodScheduler(cache, undefined, Math.random);
    const ms: number[] = [];
    let failed = 0;
    const t0 = performance.now();
    for (let i = 0; i < PODS; i++) {
      const pod: Pod = benchPod(mix, 1, i);
      pod.metadata.uid = `uid-${i}`;
      pod.metadata.namespace = 'default';
      const t = performance.now();
      try {
        const info = new PodInfo(pod);
        const { nodeName } = algorithm.schedule(fwk, new CycleState(), info);
        cache.assumePod(info.withPod({ ...pod, spec: { ...pod.spec, nodeName } } as Pod));
      } catch {
        failed++;
      }
      ms.push(performance.now() - t);
    }
    const s = summarize(ms, failed, (performance.now() - t0) / 1000);
    console.log(
      `${String(nodes).padStart(5)} nodes ${mix.padEnd(7)} ${PODS} pods ${s.perSecond.toFixed(0).padStart(6)} pods/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  ${failed} unschedulable`,
    );
  }
}
