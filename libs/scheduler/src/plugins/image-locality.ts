// ImageLocality: favours nodes that already have the pod's images, by their size and by how few
// nodes have them (an image on every node says nothing about where the pod should go).
import type { CycleState } from '../framework/cycle-state';
import type { Handle, ScorePlugin } from '../framework/interfaces';
import { MAX_NODE_SCORE } from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { PluginNames } from './names';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** An image name with ":latest" added when it has neither tag nor digest. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export class ImageLocality implements ScorePlugin {
  readonly name = PluginNames.ImageLocality;

  constructor(private readonly handle: Handle) {}

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (node.images.size === 0) return 0;
    const spec = pod.pod.spec;
    const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
    const total = this.handle.snapshot.nodeInfos().length;
    let sum = 0;
    for (const c of containers) {
      if (!c.image) continue;
      const image = normalizedImageName(c.image);
      const size = node.images.get(image);
      if (size === undefined) continue;
      const spread = this.handle.snapshot.imageNodeCount(image) / total;
      sum += Math.trunc(size * spread);
    }
    const maxThreshold = MAX_CONTAINER_THRESHOLD * containers.length;
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), maxThreshold);
    return Math.trunc(
      (MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD),
    );
  }
}
