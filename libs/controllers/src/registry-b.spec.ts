// Part B's entries in the controller manager: known names, default flag values the controllers
// accept, and bad values refused with the flag named.
import { canonicalOf } from './manager/controller-manager';
import { canonicalControllerName } from './manager/known-controllers';
import { CONTROLLER_FACTORIES } from './registry';
import { CONTROLLER_FACTORIES_B } from './registry-b';

describe('part B registry', () => {
  it("names every controller as kube-controller-manager does, in the manager's list", () => {
    expect(CONTROLLER_FACTORIES_B.map(canonicalOf)).toEqual([
      'node-lifecycle-controller',
      'node-ipam-controller',
      'endpointslice-controller',
      'endpoints-controller',
      'namespace-controller',
      'pod-garbage-collector-controller',
    ]);
    for (const f of CONTROLLER_FACTORIES_B) {
      expect(canonicalControllerName(f.name)).toBeDefined();
      expect(CONTROLLER_FACTORIES).toContain(f);
    }
  });

  it('accepts its own defaults and refuses bad values, naming the flag', () => {
    const flags = CONTROLLER_FACTORIES_B.flatMap((f) => f.flags ?? []);
    for (const f of flags) expect(() => f.check?.(f.default)).not.toThrow();
    const byName = new Map(flags.map((f) => [f.flag, f]));
    const refusal = (name: string, value: string) => {
      try {
        byName.get(name)!.check!(value);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refusal('node-monitor-grace-period', 'soon')).toContain('--node-monitor-grace-period');
    expect(refusal('max-endpoints-per-slice', '1001')).toContain('--max-endpoints-per-slice');
    expect(refusal('cluster-cidr', '10.0.0.0/8,fd00::/64')).toContain('one IPv4 CIDR only');
    expect(refusal('terminated-pod-gc-threshold', '-1')).toContain('--terminated-pod-gc-threshold');
    expect(refusal('namespace-sync-period', '1m')).toBeUndefined();
  });
});
