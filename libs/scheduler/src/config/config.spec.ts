// KubeSchedulerConfiguration files: profiles merged with the defaults as kube-scheduler merges
// them, and bad files refused with the field at fault.
import { makeNode, world } from '../testing/fixtures';
import { parseSchedulerConfiguration, SchedulerConfigError } from './load';

describe('KubeSchedulerConfiguration', () => {
  it('reads profiles, disables plugins and sets score weights', () => {
    const cfg = parseSchedulerConfiguration(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
  - schedulerName: default-scheduler
  - schedulerName: no-spread
    plugins:
      multiPoint:
        disabled: [{ name: PodTopologySpread }]
      score:
        enabled: [{ name: NodeResourcesBalancedAllocation, weight: 5 }]
`);
    expect(cfg.percentageOfNodesToScore).toBe(30);
    expect(cfg.profiles.map((p) => p.schedulerName)).toEqual(['default-scheduler', 'no-spread']);
    const { fwk } = world([makeNode('n1')], [], cfg.profiles[1]);
    expect(fwk.plugins.filter.map((p) => p.name)).not.toContain('PodTopologySpread');
    expect(
      fwk.plugins.score.find((s) => s.plugin.name === 'NodeResourcesBalancedAllocation')?.weight,
    ).toBe(5);
    expect(fwk.plugins.score.find((s) => s.plugin.name === 'TaintToleration')?.weight).toBe(3);
    const defaults = world([makeNode('n1')]).fwk;
    expect(defaults.plugins.filter.map((p) => p.name)).toEqual([
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'PodTopologySpread',
      'InterPodAffinity',
    ]);
  });

  it.each([
    ['kind: Deployment', 'kind: expected KubeSchedulerConfiguration'],
    ['profiles: []', 'profiles: must have at least one profile'],
    ['percentageOfNodesToScore: 101', 'percentageOfNodesToScore: not in valid range [0-100]'],
    [
      'profiles: [{schedulerName: a}, {schedulerName: a}]',
      'profiles[1].schedulerName: Duplicate value: "a"',
    ],
    ['profiles: [{plugins: {filtre: {}}}]', 'profiles[0].plugins.filtre: unknown extension point'],
    [
      'podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 2',
      'podMaxBackoffSeconds: must be greater than or equal',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => parseSchedulerConfiguration(text)).toThrow(SchedulerConfigError);
    expect(() => parseSchedulerConfiguration(text)).toThrow(message);
  });

  it('refuses a profile naming a plugin that does not exist', () => {
    const cfg = parseSchedulerConfiguration(
      'profiles: [{plugins: {filter: {enabled: [{name: Nope}]}}}]',
    );
    expect(() => world([], [], cfg.profiles[0])).toThrow(
      'profile "default-scheduler": plugin "Nope" does not exist',
    );
  });
});
