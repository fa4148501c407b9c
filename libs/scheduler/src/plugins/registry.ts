// Every plugin by name, how it is made from its arguments, and the default plugin set with
// kube-scheduler's default score weights (what an empty profile gets).
import type { Framework } from '../framework/framework';
import type { Handle, Plugin } from '../framework/interfaces';
import { DefaultBinder, type BindCall } from './default-binder';
import { DefaultPreemption, type PreemptionExecutor } from './default-preemption';
import { ImageLocality } from './image-locality';
import { InterPodAffinity } from './inter-pod-affinity';
import { PluginNames } from './names';
import { NodeAffinity } from './node-affinity';
import { NodeName } from './node-name';
import { NodePorts } from './node-ports';
import { NodeUnschedulable } from './node-unschedulable';
import { BalancedAllocation } from './noderesources/balanced-allocation';
import { NodeResourcesFit } from './noderesources/fit';
import { PodTopologySpread } from './pod-topology-spread/plugin';
import { PrioritySort } from './queue-sort';
import { SchedulingGates } from './scheduling-gates';
import { TaintToleration } from './taint-toleration';

export interface PluginContext {
  handle: Handle;
  /** The framework the plugin belongs to (set once the profile is built). */
  framework: () => Framework;
  preemption: PreemptionExecutor;
  bind: BindCall;
}

// Plugin arguments come from a configuration file: each plugin reads what it knows.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Args = any;
export type PluginFactory = (args: Args, ctx: PluginContext) => Plugin;

export const REGISTRY: Readonly<Record<string, PluginFactory>> = {
  [PluginNames.PrioritySort]: () => new PrioritySort(),
  [PluginNames.SchedulingGates]: () => new SchedulingGates(),
  [PluginNames.NodeUnschedulable]: () => new NodeUnschedulable(),
  [PluginNames.NodeName]: () => new NodeName(),
  [PluginNames.TaintToleration]: () => new TaintToleration(),
  [PluginNames.NodeAffinity]: (args) => new NodeAffinity(args),
  [PluginNames.NodePorts]: () => new NodePorts(),
  [PluginNames.NodeResourcesFit]: (args) => new NodeResourcesFit(args),
  [PluginNames.NodeResourcesBalancedAllocation]: (args) => new BalancedAllocation(args),
  [PluginNames.PodTopologySpread]: (args, ctx) => new PodTopologySpread(ctx.handle, args),
  [PluginNames.InterPodAffinity]: (args, ctx) => new InterPodAffinity(ctx.handle, args),
  [PluginNames.ImageLocality]: (_args, ctx) => new ImageLocality(ctx.handle),
  [PluginNames.DefaultPreemption]: (args, ctx) =>
    new DefaultPreemption(ctx.handle, ctx.framework, ctx.preemption, args),
  [PluginNames.DefaultBinder]: (_args, ctx) => new DefaultBinder(ctx.bind),
};

/** kube-scheduler's default multiPoint set, in its order, with its score weights. */
export const DEFAULT_PLUGINS: readonly { name: string; weight?: number }[] = [
  { name: PluginNames.SchedulingGates },
  { name: PluginNames.PrioritySort },
  { name: PluginNames.NodeUnschedulable },
  { name: PluginNames.NodeName },
  { name: PluginNames.TaintToleration, weight: 3 },
  { name: PluginNames.NodeAffinity, weight: 2 },
  { name: PluginNames.NodePorts },
  { name: PluginNames.NodeResourcesFit, weight: 1 },
  { name: PluginNames.PodTopologySpread, weight: 2 },
  { name: PluginNames.InterPodAffinity, weight: 2 },
  { name: PluginNames.DefaultPreemption },
  { name: PluginNames.NodeResourcesBalancedAllocation, weight: 1 },
  { name: PluginNames.ImageLocality, weight: 1 },
  { name: PluginNames.DefaultBinder },
];
