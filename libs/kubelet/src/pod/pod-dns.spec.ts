import { pod } from '../testing/fixtures';
import { podDns, type NodeLayout } from './runtime-config';

const layout = (clusterDns: string[]): NodeLayout => ({
  cgroupRoot: '/kubepods',
  podLogRoot: '/var/log/pods',
  clusterDns,
  clusterDomain: 'cluster.local',
  memoryCapacityBytes: 1 << 30,
});

describe("the pod's resolv.conf (CRI DNSConfig of its sandbox)", () => {
  it('ClusterFirst: the cluster DNS address, the namespace search path and ndots:5', () => {
    expect(podDns(pod({}, { namespace: 'shop' }), layout(['10.96.0.10']))).toEqual({
      servers: ['10.96.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5'],
    });
  });

  it("falls back to the node's resolv.conf without cluster DNS, on the host network, and for Default", () => {
    expect(podDns(pod(), layout([]))).toBeUndefined();
    expect(podDns(pod({ hostNetwork: true }), layout(['10.96.0.10']))).toBeUndefined();
    expect(podDns(pod({ dnsPolicy: 'Default' }), layout(['10.96.0.10']))).toBeUndefined();
    expect(
      podDns(
        pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
        layout(['10.96.0.10']),
      )?.servers,
    ).toEqual(['10.96.0.10']);
  });

  it('None takes dnsConfig alone; dnsConfig adds to ClusterFirst and overrides options by name', () => {
    const config = {
      nameservers: ['192.0.2.53'],
      searches: ['example.test'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    };
    expect(podDns(pod({ dnsPolicy: 'None', dnsConfig: config }), layout(['10.96.0.10']))).toEqual({
      servers: ['192.0.2.53'],
      searches: ['example.test'],
      options: ['ndots:2', 'edns0'],
    });
    expect(podDns(pod({ dnsConfig: config }), layout(['10.96.0.10']))).toEqual({
      servers: ['10.96.0.10', '192.0.2.53'],
      searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.test'],
      options: ['ndots:2', 'edns0'],
    });
  });
});
