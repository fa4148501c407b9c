// The scheduler's configuration, shaped as kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration
// (the parts that mean something here: profiles with their plugins and plugin arguments, the
// scoring percentage, back-off, the client's rate limit).

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'bind',
] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export type Plugins = { multiPoint?: PluginSet } & Partial<Record<ExtensionPoint, PluginSet>> &
  Partial<Record<'reserve' | 'permit' | 'preBind' | 'postBind', PluginSet>>;

export interface PluginConfig {
  name: string;
  args?: Record<string, unknown>;
}

export interface Profile {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  plugins?: Plugins;
  pluginConfig?: PluginConfig[];
}

export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  /** 0 or unset: adaptive (50% at 0 nodes, less as the cluster grows, at least 5%). */
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
  profiles: Profile[];
  /** The scheduler's API client: requests per second and burst (unset: no limit). */
  clientConnection?: { qps?: number; burst?: number };
}

export const DEFAULT_CONFIGURATION: SchedulerConfiguration = Object.freeze({
  apiVersion: 'kubescheduler.config.k8s.io/v1',
  kind: 'KubeSchedulerConfiguration',
  podInitialBackoffSeconds: 1,
  podMaxBackoffSeconds: 10,
  profiles: [{ schedulerName: 'default-scheduler' }],
}) as SchedulerConfiguration;
