// The pods both scheduler benchmarks schedule: basic, or half with zone spread and half with
// required anti-affinity on the host within groups of 100.
import type { Pod } from '@flotilla/client';

export function benchPod(mix: string, round: number, i: number): Pod {
  const base = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p${round}-${i}`,
      labels: { bench: String(round) } as Record<string, string>,
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'registry.k8s.io/pause:3.9',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  } as Pod;
  if (mix === 'basic') return base;
  // Half the pods spread over the zones by group, half keep apart per node within their group of 100.
  if (i % 2 === 0) {
    const app = `spread-${i % 50}`;
    base.metadata.labels!.app = app;
    base.spec!.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app } },
      },
    ];
  } else {
    const app = `anti-${i % 50}`;
    base.metadata.labels!.app = app;
    base.spec!.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
  }
  return base;
}
