import { ConfigError } from '@flotilla/process';
import { containerdConfigCommand } from './containerd-config-command';

describe('node-agent containerd-config', () => {
  it('prints the lab worker configuration for the directory and the registry', () => {
    const toml = containerdConfigCommand(['--dir', '/var/lib/flotilla/containerd/'], {
      FLOTILLA_REGISTRY: 'registry:5000',
    });
    expect(toml).toContain('root = "/var/lib/flotilla/containerd/root"');
    expect(toml).toContain('address = "/var/lib/flotilla/containerd/containerd.sock"');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('sandbox_image = "docker.io/flotilla/pause:3.9"');
    expect(toml).toContain('bin_dir = "/usr/lib/cni"');
    expect(toml).toContain('conf_dir = "/var/lib/flotilla/containerd/net.d"');
    expect(toml).toContain(
      'registry.mirrors."docker.io"]\n      endpoint = ["http://registry:5000"]',
    );
  });

  it('refuses a missing or malformed registry and a relative directory', () => {
    expect(() => containerdConfigCommand(['--dir', '/x'], {})).toThrow(ConfigError);
    expect(() => containerdConfigCommand(['--dir', '/x', '--registry', 'registry'], {})).toThrow(
      '--registry: "registry" is not HOST:PORT',
    );
    expect(() => containerdConfigCommand(['--dir', 'x', '--registry', 'r:5000'], {})).toThrow(
      '--dir: must be an absolute path',
    );
  });
});
