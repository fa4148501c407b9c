import { nodeConditions } from './node-object';
import type { RuntimeCondition } from '../runtime/runtime';

const runtime = (network: boolean): RuntimeCondition[] => [
  { type: 'RuntimeReady', status: true, reason: '', message: '' },
  {
    type: 'NetworkReady',
    status: network,
    reason: network ? '' : 'NetworkPluginNotReady',
    message: network ? '' : 'cni plugin not initialized',
  },
];

const network = (conditions: ReturnType<typeof nodeConditions>) =>
  conditions.find((c) => c.type === 'NetworkUnavailable')!;

describe('NetworkUnavailable', () => {
  it('follows the runtime alone where the agent runs no pod network', () => {
    expect(network(nodeConditions(runtime(true), undefined, 0))).toMatchObject({
      status: 'False',
      reason: 'RuntimeNetworkReady',
    });
    expect(network(nodeConditions(runtime(false), undefined, 0))).toMatchObject({
      status: 'True',
      reason: 'RuntimeNetworkNotReady',
    });
  });

  it('waits for the pod network (CNI configuration and routes from the podCIDR) too', () => {
    const waiting = { ready: false, message: 'node w1 has no pod CIDR yet' };
    expect(network(nodeConditions(runtime(true), undefined, 0, waiting))).toMatchObject({
      status: 'True',
      reason: 'NoRouteCreated',
      message: 'pod network not ready: node w1 has no pod CIDR yet',
    });
    // The runtime has not seen the configuration yet: still unavailable.
    const ready = {
      ready: true,
      message: 'pod range 10.244.1.0/24; routes to 1 other node ranges',
    };
    expect(network(nodeConditions(runtime(false), undefined, 0, ready)).status).toBe('True');
    const before = nodeConditions(runtime(false), undefined, 1000, ready);
    const after = network(nodeConditions(runtime(true), before, 2000, ready));
    expect(after).toMatchObject({
      status: 'False',
      reason: 'RouteCreated',
      message: ready.message,
    });
    expect(after.lastTransitionTime).toBe(new Date(2000).toISOString().replace('.000', ''));
  });
});
