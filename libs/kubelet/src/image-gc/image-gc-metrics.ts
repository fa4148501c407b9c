// The image garbage collector's metric under the kubelet's name, so Kubernetes dashboards read it.
import { Counter, Registry } from 'prom-client';

export type ImageGcReason = 'age' | 'space';

export interface ImageGcMetrics {
  /** kubelet_image_garbage_collected_total{reason="age"|"space"} */
  collected: Counter<'reason'>;
}

const byRegistry = new WeakMap<Registry, ImageGcMetrics>();

export function imageGcMetrics(registry: Registry): ImageGcMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const metrics: ImageGcMetrics = {
    collected: new Counter({
      name: 'kubelet_image_garbage_collected_total',
      help: 'Total number of images garbage collected by the kubelet, whether through disk usage or image age.',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
