import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from '../build-info';

export interface MetricsIdentity {
  version: string;
  node: string;
  component: string;
}

/**
 * A fresh registry per process part (never prom-client's global one), so two apps booted in one
 * test process do not clash, with the process/runtime metrics and a constant build-info series.
 */
export function createMetricsRegistry(identity: MetricsIdentity): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'flotilla_build_info',
    help: 'A constant 1, labelled with the version, node, component and git commit of this process.',
    labelNames: ['version', 'node', 'component', 'git_commit'],
    registers: [registry],
  });
  info.set({ ...identity, git_commit: buildInfo().gitCommit }, 1);
  return registry;
}
