// Every controller this build of the controller manager has, by kube-controller-manager's name.
// Part B's controllers (node lifecycle, node IPAM, endpoints, namespace, pod GC) join this list.
import type { ControllerFactory } from './controller';
import { deploymentControllerFactory } from './deployment';
import { garbageCollectorFactory } from './garbagecollector';
import { jobControllerFactory } from './job';
import { cronJobControllerFactory } from './cronjob';
import { disruptionControllerFactory } from './disruption';
import { daemonSetControllerFactory } from './daemonset';
import { statefulSetControllerFactory } from './statefulset';
import { resourceQuotaControllerFactory } from './resourcequota';
import { persistentVolumeBinderFactory } from './persistentvolume';
import { replicaSetControllerFactory } from './replicaset';
import { CONTROLLER_FACTORIES_B } from './registry-b';
import { serviceAccountControllerFactory } from './serviceaccount';

export const CONTROLLER_FACTORIES: readonly ControllerFactory[] = Object.freeze([
  replicaSetControllerFactory,
  deploymentControllerFactory,
  garbageCollectorFactory,
  serviceAccountControllerFactory,
  ...CONTROLLER_FACTORIES_B,
  jobControllerFactory,
  cronJobControllerFactory,
  disruptionControllerFactory,
  daemonSetControllerFactory,
  statefulSetControllerFactory,
  resourceQuotaControllerFactory,
  persistentVolumeBinderFactory,
]);
