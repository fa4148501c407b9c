// What every pod worker shares: the runtime, the node's layout, the managers and the clock.
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { ContainerRuntime } from '../runtime/runtime';
import type { ProbeManager } from '../probes/probe-manager';
import type { VolumeManager } from '../volumes/volume-manager';
import type { Backoff } from './backoff';
import type { NodeAllocatable } from './downward-api';
import type { EventRecorder } from './events';
import type { ObjectSource } from './object-source';
import type { NodeLayout } from './runtime-config';

/** Removes what runc leaves of a pod's cgroups (parent directories in every hierarchy). */
export interface CgroupCleaner {
  removePod(cgroupParent: string): Promise<void>;
}

export const noCgroupCleanup: CgroupCleaner = { removePod: async () => undefined };

export interface KubeletContext {
  nodeName: string;
  runtime: ContainerRuntime;
  /** The scheme of containerIDs: containerd://... */
  runtimeName: string;
  objects: ObjectSource;
  clock: Clock;
  logger: Logger;
  events: EventRecorder;
  volumes: VolumeManager;
  probes: ProbeManager;
  layout: NodeLayout;
  hostIPs: string[];
  node: NodeAllocatable;
  crashBackoff: Backoff;
  pullBackoff: Backoff;
  /** Per pod: how soon a failed RunPodSandbox is tried again. */
  sandboxBackoff: Backoff;
  /**
   * Why the runtime cannot network new pod sandboxes (CRI NetworkReady=false), or undefined when
   * it can; as of the kubelet's last look at the runtime's status.
   */
  networkNotReady(): string | undefined;
  cgroups: CgroupCleaner;
}
