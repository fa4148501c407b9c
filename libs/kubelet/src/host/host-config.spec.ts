import { renderCniConflist } from './cni-config';
import { renderContainerdConfig } from './containerd-config';

describe('worker host configuration', () => {
  it('renders a containerd config with private paths, the CRI settings and the mirrors', () => {
    const text = renderContainerdConfig({
      dir: '/var/lib/flotilla/w1/containerd',
      registry: '10.231.0.254:5000',
      sandboxImage: 'docker.io/flotilla/pause:3.9',
    });
    for (const line of [
      'version = 2',
      'root = "/var/lib/flotilla/w1/containerd/root"',
      'state = "/var/lib/flotilla/w1/containerd/state"',
      '  address = "/var/lib/flotilla/w1/containerd/containerd.sock"',
      '  address = "/var/lib/flotilla/w1/containerd/containerd.sock.ttrpc"',
      '    sandbox_image = "docker.io/flotilla/pause:3.9"',
      '    restrict_oom_score_adj = true',
      '      bin_dir = "/usr/lib/cni"',
      '      conf_dir = "/var/lib/flotilla/w1/containerd/net.d"',
      '    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]',
      '      endpoint = ["http://10.231.0.254:5000"]',
      '    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."10.231.0.254:5000"]',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('renders a CNI conflist for the node pod range', () => {
    const conf = JSON.parse(
      renderCniConflist({
        networkName: 'flotilla-w1',
        podCidr: '10.232.1.0/24',
        ipamDataDir: '/d/ipam',
      }),
    );
    expect(conf.name).toBe('flotilla-w1');
    expect(conf.plugins.map((p: { type: string }) => p.type)).toEqual([
      'bridge',
      'portmap',
      'loopback',
    ]);
    expect(conf.plugins[0].ipam).toEqual({
      type: 'host-local',
      dataDir: '/d/ipam',
      ranges: [[{ subnet: '10.232.1.0/24' }]],
      routes: [{ dst: '0.0.0.0/0' }],
    });
  });
});
