// A profile's plugins per extension point, merged as kube-scheduler merges a profile with the
// defaults: multiPoint (defaults plus the profile's) expands into every point a plugin
// implements, unless that point disables it ('*' disables all); plugins the profile enables at a
// point come first there, in its order. Score weights: the point's, else multiPoint's, else 1.
import { Framework, type FrameworkPlugins } from '../framework/framework';
import type {
  BindPlugin,
  FilterPlugin,
  Handle,
  Plugin,
  PostFilterPlugin,
  PreEnqueuePlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  ScorePlugin,
} from '../framework/interfaces';
import { DEFAULT_PLUGINS, REGISTRY, type PluginContext } from '../plugins/registry';
import { SchedulerConfigError } from './load';
import type { ExtensionPoint, PluginRef, PluginSet, Profile } from './types';

const METHOD: Record<ExtensionPoint, string> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  bind: 'bind',
};

/** kube-scheduler's mergePluginSet: defaults minus disabled, re-configured in place, extras after. */
export function mergePluginSet(defaults: PluginSet, custom: PluginSet | undefined): PluginSet {
  const disabled = [...(custom?.disabled ?? []), ...(defaults.disabled ?? [])];
  const off = new Set(disabled.map((d) => d.name));
  const enabledCustom = custom?.enabled ?? [];
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!off.has('*')) {
    for (const d of defaults.enabled ?? []) {
      if (off.has(d.name)) continue;
      const i = enabledCustom.findIndex((c) => c.name === d.name);
      if (i >= 0) replaced.add(i);
      enabled.push(i >= 0 ? enabledCustom[i] : d);
    }
  }
  enabledCustom.forEach((c, i) => {
    if (!replaced.has(i)) enabled.push(c);
  });
  return { enabled, disabled };
}

export interface FrameworkDeps extends Omit<PluginContext, 'framework'> {
  handle: Handle;
}

export function buildFramework(profile: Profile, deps: FrameworkDeps): Framework {
  const path = `profile ${JSON.stringify(profile.schedulerName)}`;
  const multiPoint = mergePluginSet({ enabled: [...DEFAULT_PLUGINS] }, profile.plugins?.multiPoint);
  const args = new Map((profile.pluginConfig ?? []).map((c) => [c.name, c.args ?? {}]));
  const instances = new Map<string, Plugin>();
  const built: { framework?: Framework } = {};
  const ctx: PluginContext = { ...deps, framework: () => built.framework! };
  const instance = (name: string): Plugin => {
    let p = instances.get(name);
    if (!p) {
      const factory = REGISTRY[name];
      if (!factory)
        throw new SchedulerConfigError(`${path}: plugin ${JSON.stringify(name)} does not exist`);
      try {
        p = factory(args.get(name) ?? {}, ctx);
      } catch (err) {
        throw new SchedulerConfigError(`${path}: plugin ${name}: ${(err as Error).message}`);
      }
      instances.set(name, p);
    }
    return p;
  };
  for (const name of args.keys())
    if (!REGISTRY[name])
      throw new SchedulerConfigError(
        `${path}: pluginConfig names unknown plugin ${JSON.stringify(name)}`,
      );

  const weights = new Map<string, number>();
  for (const ref of multiPoint.enabled ?? []) if (ref.weight) weights.set(ref.name, ref.weight);

  const point = (ep: ExtensionPoint): Plugin[] => {
    const set = profile.plugins?.[ep];
    const specific = set?.enabled ?? [];
    const disabled = new Set((set?.disabled ?? []).map((d) => d.name));
    for (const ref of specific) {
      instance(ref.name);
      if (ep === 'score' && ref.weight) weights.set(ref.name, ref.weight);
    }
    const specificNames = specific.map((r) => r.name);
    const fromMulti: string[] = [];
    const overrides: string[] = [];
    if (!disabled.has('*')) {
      for (const ref of multiPoint.enabled ?? []) {
        const p = instance(ref.name);
        if (typeof (p as unknown as Record<string, unknown>)[METHOD[ep]] !== 'function') continue;
        if (disabled.has(ref.name)) continue;
        if (specificNames.includes(ref.name)) {
          overrides.push(ref.name);
          continue;
        }
        if (fromMulti.includes(ref.name))
          throw new SchedulerConfigError(
            `${path}: plugin ${JSON.stringify(ref.name)} already registered as ${ep}`,
          );
        fromMulti.push(ref.name);
      }
    }
    const ordered = [
      ...specificNames.filter((n) => overrides.includes(n)),
      ...fromMulti,
      ...specificNames.filter((n) => !overrides.includes(n)),
    ];
    const out = ordered.map(instance);
    for (const p of out)
      if (typeof (p as unknown as Record<string, unknown>)[METHOD[ep]] !== 'function')
        throw new SchedulerConfigError(
          `${path}: plugin ${JSON.stringify(p.name)} does not extend ${ep}`,
        );
    return out;
  };

  const queueSort = point('queueSort');
  if (queueSort.length !== 1)
    throw new SchedulerConfigError(
      `${path}: one queue sort plugin required, got ${queueSort.length}`,
    );
  const bind = point('bind');
  if (bind.length === 0)
    throw new SchedulerConfigError(`${path}: at least one bind plugin is needed`);
  const plugins: FrameworkPlugins = {
    queueSort: queueSort[0] as QueueSortPlugin,
    preEnqueue: point('preEnqueue') as PreEnqueuePlugin[],
    preFilter: point('preFilter') as PreFilterPlugin[],
    filter: point('filter') as FilterPlugin[],
    postFilter: point('postFilter') as PostFilterPlugin[],
    preScore: point('preScore') as PreScorePlugin[],
    score: (point('score') as ScorePlugin[]).map((plugin) => ({
      plugin,
      weight: weights.get(plugin.name) ?? 1,
    })),
    bind: bind as BindPlugin[],
    all: [...instances.values()],
  };
  const framework = new Framework(
    profile.schedulerName,
    plugins,
    deps.handle,
    profile.percentageOfNodesToScore,
  );
  built.framework = framework;
  return framework;
}
