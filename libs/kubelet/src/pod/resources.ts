// A container's resources as Linux cgroup settings for CRI, with the kubelet's arithmetic
// (cpu shares from the request, CFS quota from the limit, OOM score by QoS class).
import { parseQuantity, podQosClass } from '@flotilla/api';
import type { JsonObject } from '@flotilla/api';
import type { LinuxResources } from '../runtime/runtime';
import type { Container, Pod } from './types';

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MIN_QUOTA_US = 1_000;

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function qosClass(pod: Pod): QosClass {
  return podQosClass(pod.spec as unknown as JsonObject);
}

function quantity(map: Record<string, unknown> | undefined, name: string): number | undefined {
  return map ? parseQuantity(map[name]) : undefined;
}

export function cpuRequestMilli(c: Container): number {
  const request = quantity(c.resources?.requests, 'cpu') ?? quantity(c.resources?.limits, 'cpu');
  return Math.round((request ?? 0) * 1000);
}

export function cpuLimitMilli(c: Container): number {
  return Math.round((quantity(c.resources?.limits, 'cpu') ?? 0) * 1000);
}

export function memoryRequestBytes(c: Container): number {
  const request =
    quantity(c.resources?.requests, 'memory') ?? quantity(c.resources?.limits, 'memory');
  return Math.round(request ?? 0);
}

export function memoryLimitBytes(c: Container): number {
  return Math.round(quantity(c.resources?.limits, 'memory') ?? 0);
}

export function cpuShares(milli: number): number {
  if (milli <= 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000));
}

export function cpuQuota(milli: number): number {
  if (milli <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * CPU_PERIOD_US) / 1000));
}

/** The OOM killer's preference: BestEffort dies first, Guaranteed last. */
export function oomScoreAdj(qos: QosClass, memoryRequest: number, memoryCapacity: number): number {
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  if (memoryCapacity <= 0) return 999;
  const adj = 1000 - Math.floor((1000 * memoryRequest) / memoryCapacity);
  if (adj < 3) return 3;
  if (adj >= 1000) return 999;
  return adj;
}

export function linuxResources(pod: Pod, c: Container, memoryCapacity: number): LinuxResources {
  const limitMilli = cpuLimitMilli(c);
  return {
    cpuPeriod: limitMilli > 0 ? CPU_PERIOD_US : 0,
    cpuQuota: cpuQuota(limitMilli),
    cpuShares: cpuShares(cpuRequestMilli(c)),
    memoryLimitInBytes: memoryLimitBytes(c),
    oomScoreAdj: oomScoreAdj(qosClass(pod), memoryRequestBytes(c), memoryCapacity),
  };
}
