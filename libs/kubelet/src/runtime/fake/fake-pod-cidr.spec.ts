import { FakeNode } from '../../testing/fake-node';
import { pod } from '../../testing/fixtures';
import { parseIPv4Cidr } from './fake-runtime';

describe("the fake runtime's pod addresses", () => {
  it('come from the node pod CIDR once known, skipping addresses in use', async () => {
    const node = new FakeNode();
    await node.start();
    try {
      node.kubelet.setPods([pod({}, { name: 'a', uid: 'a' })]);
      await node.advance(0);
      expect(node.status(pod({}, { uid: 'a' })).podIP).toBe('10.88.0.2');
      node.runtime.setPodCidr('10.128.7.0/24');
      node.kubelet.setPods([
        pod({}, { name: 'a', uid: 'a' }),
        pod({}, { name: 'b', uid: 'b' }),
        pod({}, { name: 'c', uid: 'c' }),
      ]);
      await node.advance(0);
      // b and c start side by side: which gets which address depends on who asks first.
      expect(
        [node.status(pod({}, { uid: 'b' })).podIP, node.status(pod({}, { uid: 'c' })).podIP].sort(),
      ).toEqual(['10.128.7.2', '10.128.7.3']);
    } finally {
      node.cleanup();
    }
  });

  it('refuses what is not an IPv4 range', () => {
    expect(parseIPv4Cidr('10.128.7.9/24')).toEqual({
      base: 10 * 2 ** 24 + (128 << 16) + (7 << 8),
      size: 256,
    });
    expect(parseIPv4Cidr('fd00::/64')).toBeUndefined();
    expect(parseIPv4Cidr('10.0.0.0/31')).toBeUndefined();
  });
});
