// Reading a KubeSchedulerConfiguration file (YAML or JSON) into a checked configuration; every
// problem is reported with the field it is in, as kube-scheduler's validation does.
import { parse } from 'yaml';
import {
  DEFAULT_CONFIGURATION,
  EXTENSION_POINTS,
  type PluginSet,
  type Profile,
  type SchedulerConfiguration,
} from './types';

export class SchedulerConfigError extends Error {}

const API_VERSIONS = ['kubescheduler.config.k8s.io/v1', 'kubescheduler.config.k8s.io/v1beta3'];
const ALL_POINTS = [...EXTENSION_POINTS, 'multiPoint', 'reserve', 'permit', 'preBind', 'postBind'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseSchedulerConfiguration(text: string): SchedulerConfiguration {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new SchedulerConfigError(`not YAML or JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc))
    throw new SchedulerConfigError('expected a KubeSchedulerConfiguration object');
  if (doc.kind !== undefined && doc.kind !== 'KubeSchedulerConfiguration')
    throw new SchedulerConfigError(
      `kind: expected KubeSchedulerConfiguration, got ${JSON.stringify(doc.kind)}`,
    );
  if (doc.apiVersion !== undefined && !API_VERSIONS.includes(String(doc.apiVersion)))
    throw new SchedulerConfigError(
      `apiVersion: ${JSON.stringify(doc.apiVersion)} is not one of ${API_VERSIONS.join(', ')}`,
    );
  const cfg: SchedulerConfiguration = {
    ...DEFAULT_CONFIGURATION,
    apiVersion: String(doc.apiVersion ?? DEFAULT_CONFIGURATION.apiVersion),
    podInitialBackoffSeconds: seconds(doc, 'podInitialBackoffSeconds', 1),
    podMaxBackoffSeconds: seconds(doc, 'podMaxBackoffSeconds', 10),
    percentageOfNodesToScore: percentage(doc.percentageOfNodesToScore, 'percentageOfNodesToScore'),
    profiles: [],
  };
  if (cfg.podMaxBackoffSeconds < cfg.podInitialBackoffSeconds)
    throw new SchedulerConfigError(
      'podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds',
    );
  if (isObject(doc.clientConnection)) {
    const qps = doc.clientConnection.qps;
    const burst = doc.clientConnection.burst;
    if (qps !== undefined && (typeof qps !== 'number' || qps < 0))
      throw new SchedulerConfigError('clientConnection.qps: must be a number >= 0');
    if (burst !== undefined && (typeof burst !== 'number' || burst < 0))
      throw new SchedulerConfigError('clientConnection.burst: must be a number >= 0');
    cfg.clientConnection = { qps: qps as number | undefined, burst: burst as number | undefined };
  }
  const profiles = doc.profiles ?? [{ schedulerName: 'default-scheduler' }];
  if (!Array.isArray(profiles) || profiles.length === 0)
    throw new SchedulerConfigError('profiles: must have at least one profile');
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    const profile = checkProfile(p, `profiles[${i}]`);
    if (names.has(profile.schedulerName))
      throw new SchedulerConfigError(
        `profiles[${i}].schedulerName: Duplicate value: ${JSON.stringify(profile.schedulerName)}`,
      );
    names.add(profile.schedulerName);
    cfg.profiles.push(profile);
  });
  return cfg;
}

function seconds(doc: Json, field: string, def: number): number {
  const v = doc[field];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new SchedulerConfigError(`${field}: must be a positive integer`);
  return v;
}

function percentage(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100)
    throw new SchedulerConfigError(`${field}: not in valid range [0-100]`);
  return v;
}

function checkProfile(p: unknown, path: string): Profile {
  if (!isObject(p)) throw new SchedulerConfigError(`${path}: expected an object`);
  const name = p.schedulerName ?? 'default-scheduler';
  if (typeof name !== 'string' || name === '')
    throw new SchedulerConfigError(`${path}.schedulerName: Required value`);
  const out: Profile = {
    schedulerName: name,
    percentageOfNodesToScore: percentage(
      p.percentageOfNodesToScore,
      `${path}.percentageOfNodesToScore`,
    ),
  };
  if (p.plugins !== undefined) {
    if (!isObject(p.plugins)) throw new SchedulerConfigError(`${path}.plugins: expected an object`);
    out.plugins = {};
    for (const [point, set] of Object.entries(p.plugins)) {
      if (!ALL_POINTS.includes(point))
        throw new SchedulerConfigError(`${path}.plugins.${point}: unknown extension point`);
      (out.plugins as Record<string, PluginSet>)[point] = checkSet(set, `${path}.plugins.${point}`);
    }
  }
  if (p.pluginConfig !== undefined) {
    if (!Array.isArray(p.pluginConfig))
      throw new SchedulerConfigError(`${path}.pluginConfig: expected a list`);
    const seen = new Set<string>();
    out.pluginConfig = p.pluginConfig.map((c, i) => {
      if (!isObject(c) || typeof c.name !== 'string')
        throw new SchedulerConfigError(`${path}.pluginConfig[${i}].name: Required value`);
      if (seen.has(c.name))
        throw new SchedulerConfigError(
          `${path}.pluginConfig[${i}]: Duplicate value: ${JSON.stringify(c.name)}`,
        );
      seen.add(c.name);
      if (c.args !== undefined && !isObject(c.args))
        throw new SchedulerConfigError(`${path}.pluginConfig[${i}].args: expected an object`);
      return { name: c.name, args: c.args as Json | undefined };
    });
  }
  return out;
}

function checkSet(set: unknown, path: string): PluginSet {
  if (!isObject(set)) throw new SchedulerConfigError(`${path}: expected an object`);
  const list = (v: unknown, field: string) => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw new SchedulerConfigError(`${path}.${field}: expected a list`);
    return v.map((e, i) => {
      if (!isObject(e) || typeof e.name !== 'string' || e.name === '')
        throw new SchedulerConfigError(`${path}.${field}[${i}].name: Required value`);
      if (
        e.weight !== undefined &&
        (typeof e.weight !== 'number' || !Number.isInteger(e.weight) || e.weight < 0)
      )
        throw new SchedulerConfigError(
          `${path}.${field}[${i}].weight: must be a non-negative integer`,
        );
      return { name: e.name, weight: e.weight as number | undefined };
    });
  };
  return { enabled: list(set.enabled, 'enabled'), disabled: list(set.disabled, 'disabled') };
}
