// How NodeResourcesFit and NodeResourcesBalancedAllocation score: per resource, what the node
// would have requested with the pod on it against its allocatable; a resource the node does not
// have is left out.
import { Resource } from '../../api/resources';
import { MAX_NODE_SCORE } from '../../framework/interfaces';
import type { NodeInfo } from '../../framework/node-info';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

export type Scorer = (requested: number[], allocatable: number[]) => number;

/**
 * Requested and allocatable per resource for the pod on `node`. `useRequested` reads the node's
 * actual requests (BalancedAllocation); otherwise the non-zero ones (pods without requests count
 * Kubernetes' defaults, so that they too spread).
 */
export function allocation(
  node: NodeInfo,
  resources: readonly ResourceSpec[],
  podRequest: readonly number[],
  useRequested: boolean,
): { requested: number[]; allocatable: number[] } {
  const requested = new Array<number>(resources.length).fill(0);
  const allocatable = new Array<number>(resources.length).fill(0);
  const onNode: Resource = useRequested ? node.requested : node.nonZeroRequested;
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i].name;
    const alloc = node.allocatable.get(name);
    if (alloc === 0) continue;
    allocatable[i] = alloc;
    requested[i] = onNode.get(name) + podRequest[i];
  }
  return { requested, allocatable };
}

export function leastAllocatedScorer(resources: readonly ResourceSpec[]): Scorer {
  return weighted(resources, (req, cap) =>
    req > cap ? 0 : Math.floor(((cap - req) * MAX_NODE_SCORE) / cap),
  );
}

export function mostAllocatedScorer(resources: readonly ResourceSpec[]): Scorer {
  // Pods without requests count default values, so `requested` may exceed the capacity.
  return weighted(resources, (req, cap) => Math.floor((Math.min(req, cap) * MAX_NODE_SCORE) / cap));
}

function weighted(
  resources: readonly ResourceSpec[],
  one: (req: number, cap: number) => number,
): Scorer {
  return (requested, allocatable) => {
    let score = 0;
    let weights = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i].weight;
      score += one(requested[i], allocatable[i]) * w;
      weights += w;
    }
    return weights === 0 ? 0 : Math.floor(score / weights);
  };
}

/** 100 × (1 − the standard deviation of the requested fractions): even use scores high. */
export function balancedScorer(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i] / allocatable[i]);
    fractions.push(f);
    total += f;
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0] - fractions[1]) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
