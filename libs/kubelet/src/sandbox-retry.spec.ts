// A pod whose sandbox cannot be made: the kubelet neither hammers the runtime (every failed
// RunPodSandbox can leave a network namespace behind) nor forgets the pod.
import { FakeNode } from './testing/fake-node';
import { pod } from './testing/fixtures';

const sandboxCalls = (node: FakeNode) =>
  node.runtime.calls.filter((c) => c === 'RunPodSandbox').length;

describe('Kubelet sandbox creation', () => {
  let node: FakeNode;
  afterEach(() => node.cleanup());

  it('asks for no sandbox while the runtime network is not ready, and starts the pod once it is', async () => {
    node = new FakeNode();
    node.runtime.setNetworkProblem({
      reason: 'NetworkPluginNotReady',
      message: 'cni plugin not initialized',
    });
    await node.start();
    const p = pod();
    node.kubelet.setPods([p]);
    await node.advance(20_000);
    expect(sandboxCalls(node)).toBe(0);
    expect(node.status(p).phase).toBe('Pending');
    const told = node.events.events.filter((e) => e.reason === 'NetworkNotReady');
    expect(told).toHaveLength(1);
    expect(told[0].message).toBe(
      'network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized',
    );

    node.runtime.setNetworkProblem(undefined);
    await node.advance(1_000);
    expect(sandboxCalls(node)).toBe(1);
    expect(node.status(p).phase).toBe('Running');
  });

  it('a host-network pod does not wait for the pod network', async () => {
    node = new FakeNode();
    node.runtime.setNetworkProblem({ reason: 'NetworkPluginNotReady', message: 'no config' });
    await node.start();
    const p = pod({ hostNetwork: true });
    node.kubelet.setPods([p]);
    await node.advance(0);
    expect(node.status(p).phase).toBe('Running');
  });

  it('tries a failing sandbox again after 2 s doubling, not on every relist, and runs it once the runtime recovers', async () => {
    node = new FakeNode();
    node.runtime.failSandboxes('failed to setup network for sandbox: plugin exploded');
    await node.start();
    const p = pod();
    node.kubelet.setPods([p]);
    // Attempts at 0, 2, 6, 14 and 30 s; relists run every second and resyncs every 10 s.
    await node.advance(31_000);
    expect(sandboxCalls(node)).toBe(5);
    expect(node.events.reasons().filter((r) => r === 'FailedCreatePodSandBox')).toHaveLength(5);

    node.runtime.failSandboxes(undefined);
    await node.advance(33_000); // the next try is 32 s after the last failure
    expect(sandboxCalls(node)).toBe(6);
    expect(node.status(p).phase).toBe('Running');
  });
});
