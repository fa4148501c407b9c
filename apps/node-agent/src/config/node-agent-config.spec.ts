import { ConfigError } from '@flotilla/process';
import { parseNodeAgentConfig } from './node-agent-config';

const context = { cwd: '/srv', hostname: 'Worker-1' };

describe('node-agent configuration', () => {
  it('defaults the name to the lowercased host name and the health port to 10248', () => {
    expect(parseNodeAgentConfig([], {}, context)).toEqual({
      help: false,
      config: {
        name: 'worker-1',
        dataDir: '/srv/data/nodes/worker-1',
        listenHost: '127.0.0.1',
        apiPort: 10248,
        servers: [],
        logLevel: 'info',
        network: expect.any(Object),
      },
    });
  });

  it('networking defaults: kube-proxy in nftables mode, pod network and DNS on, upstream defaults', () => {
    const parsed = parseNodeAgentConfig([], {}, context);
    expect(parsed.help === false && parsed.config.network).toEqual({
      proxy: true,
      clusterCIDRs: ['10.244.0.0/16'],
      serviceCIDRs: ['10.96.0.0/12'],
      nodeIPs: [],
      nodePortAddresses: [],
      masqueradeAll: false,
      masqueradeBit: 14,
      proxier: { minSyncPeriodMs: 1000, syncPeriodMs: 3600_000 },
      healthz: { host: '127.0.0.1', port: 10256 },
      cleanup: false,
      podNetwork: true,
      cniConfDir: '/srv/data/nodes/worker-1/cni/net.d',
      cniIpamDir: '/srv/data/nodes/worker-1/cni/ipam',
      dns: true,
      clusterDomain: 'cluster.local',
      clusterDNS: undefined,
      resolvConf: '/etc/resolv.conf',
    });
  });

  it('reads the networking flags', () => {
    const parsed = parseNodeAgentConfig(
      [
        '--proxy-mode=none',
        '--cluster-cidr',
        '10.42.0.0/16,fd00:42::/56',
        '--nodeport-addresses',
        'primary,192.168.0.0/16',
        '--min-sync-period',
        '250ms',
        '--healthz-bind-address',
        'off',
        '--cluster-dns',
        '10.96.0.10',
        '--cni-conf-dir',
        'off',
        '--cleanup',
      ],
      {},
      context,
    );
    expect(parsed.help === false && parsed.config.network).toMatchObject({
      proxy: false,
      clusterCIDRs: ['10.42.0.0/16', 'fd00:42::/56'],
      nodePortAddresses: ['primary', '192.168.0.0/16'],
      proxier: { minSyncPeriodMs: 250 },
      healthz: undefined,
      clusterDNS: '10.96.0.10',
      podNetwork: false,
      cleanup: true,
    });
  });

  it.each([
    [['--cluster-cidr', '10.0.0.0/33'], '--cluster-cidr: "10.0.0.0/33" is not a CIDR'],
    [
      ['--nodeport-addresses', 'eth0'],
      '--nodeport-addresses: "eth0" is neither "primary" nor a CIDR',
    ],
    [
      ['--min-sync-period', 'soon'],
      '--min-sync-period: "soon" is not a duration (500ms, 2s, 30m, 1h)',
    ],
    [['--proxy-mode', 'iptables'], '--proxy-mode: "iptables" is not one of nftables, none'],
    [['--masquerade-bit', '32'], '--masquerade-bit: "32" is not a whole number from 0 to 31'],
  ])('refuses bad networking flags: %j', (argv, message) => {
    expect(() => parseNodeAgentConfig(argv, {}, context)).toThrow(message);
  });

  it('reads the master URLs, flags over environment', () => {
    const parsed = parseNodeAgentConfig(
      ['--servers', 'http://127.0.0.1:6443, http://127.0.0.1:6444/'],
      { FLOTILLA_SERVERS: 'http://x:1', FLOTILLA_NAME: 'w2' },
      context,
    );
    expect(parsed).toMatchObject({
      config: { name: 'w2', servers: ['http://127.0.0.1:6443', 'http://127.0.0.1:6444'] },
    });
  });

  it.each([
    [['--servers', 'ftp://x'], {}, '--servers: "ftp://x" is not an http(s) URL'],
    [['--servers', 'nonsense'], {}, '--servers: "nonsense" is not an http(s) URL'],
    [['--api-port', 'abc'], {}, '--api-port: "abc" is not a port number (1-65535)'],
    [['--peers', 'm1=a:1'], {}, 'unknown flag --peers (see --help)'],
    [
      [],
      { FLOTILLA_NAME: 'Bad_Name' },
      `FLOTILLA_NAME: "Bad_Name" is not a valid name (lowercase letters, digits and '-', at most 63)`,
    ],
  ])('%j %j -> %s', (argv, env, message) => {
    expect(() => parseNodeAgentConfig(argv, env as Record<string, string>, context)).toThrow(
      new ConfigError(message),
    );
  });

  it('runs the kubelet only with a runtime endpoint, with its directories under the data dir', () => {
    expect(parseNodeAgentConfig([], {}, context)).not.toHaveProperty('config.kubelet');
    const parsed = parseNodeAgentConfig(
      [
        '--runtime-endpoint',
        '/run/w1/containerd.sock',
        '--pod-manifest-path',
        'manifests',
        '--node-ip',
        '10.231.0.1',
        '--cgroup-root',
        '/flotilla-w1/',
        '--cluster-dns',
        '10.96.0.10',
        '--node-labels',
        'pool=a,zone=z1',
        '--register-with-taints',
        'dedicated=gpu:NoSchedule,maintenance:NoExecute',
      ],
      {},
      context,
    );
    expect(parsed).toMatchObject({
      config: {
        kubelet: {
          runtimeEndpoint: 'unix:///run/w1/containerd.sock',
          rootDir: '/srv/data/nodes/worker-1/kubelet',
          podLogDir: '/srv/data/nodes/worker-1/pod-logs',
          manifestDir: '/srv/manifests',
          nodeIPs: ['10.231.0.1'],
          cgroupRoot: '/flotilla-w1',
          clusterDns: ['10.96.0.10'],
          clusterDnsFromService: false,
          clusterDomain: 'cluster.local',
          server: { host: '0.0.0.0', port: 10250 },
          nodeLabels: { pool: 'a', zone: 'z1' },
          taints: [
            { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
            { key: 'maintenance', effect: 'NoExecute' },
          ],
        },
      },
    });
  });

  it('image garbage collection: the kubelet defaults, and its flags', () => {
    const kubelet = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseNodeAgentConfig(
        ['--runtime-endpoint', '/run/c.sock', ...argv],
        env,
        context,
      );
      return parsed.help ? undefined : parsed.config.kubelet;
    };
    expect(kubelet([])).toMatchObject({
      imageGc: {
        highThresholdPercent: 85,
        lowThresholdPercent: 80,
        minAgeMs: 120_000,
        maxAgeMs: 0,
        periodMs: 300_000,
      },
      sandboxImage: 'docker.io/flotilla/pause:3.9',
    });
    expect(
      kubelet(
        [
          '--image-gc-high-threshold=90',
          '--image-gc-low-threshold',
          '50',
          '--minimum-image-ttl-duration=30s',
          '--image-maximum-gc-age',
          '168h',
          '--pod-infra-container-image',
          'registry.local/pause:3.10',
        ],
        { FLOTILLA_IMAGE_GC_PERIOD: '1m30s' },
      ),
    ).toMatchObject({
      imageGc: {
        highThresholdPercent: 90,
        lowThresholdPercent: 50,
        minAgeMs: 30_000,
        maxAgeMs: 168 * 3_600_000,
        periodMs: 90_000,
      },
      sandboxImage: 'registry.local/pause:3.10',
    });
    // 100 is valid: it turns image garbage collection off.
    expect(kubelet(['--image-gc-high-threshold', '100'])?.imageGc.highThresholdPercent).toBe(100);
  });

  it.each([
    [
      ['--image-gc-high-threshold', '101'],
      '--image-gc-high-threshold: "101" is not a whole number from 0 to 100',
    ],
    [
      ['--image-gc-low-threshold', 'lots'],
      '--image-gc-low-threshold: "lots" is not a whole number from 0 to 100',
    ],
    [
      ['--image-gc-high-threshold', '70'],
      '--image-gc-low-threshold 80 must be less than --image-gc-high-threshold 70',
    ],
    [
      ['--image-gc-high-threshold', '0', '--image-gc-low-threshold', '0'],
      '--image-gc-low-threshold 0 must be less than --image-gc-high-threshold 0',
    ],
    [
      ['--minimum-image-ttl-duration', '2 minutes'],
      '--minimum-image-ttl-duration: "2 minutes" is not a duration',
    ],
    [['--image-maximum-gc-age', '-1h'], '--image-maximum-gc-age must not be negative'],
    [
      ['--image-maximum-gc-age', '1m'],
      '--image-maximum-gc-age must be greater than --minimum-image-ttl-duration',
    ],
    [['--image-gc-period', '0s'], '--image-gc-period must be positive'],
  ])('rejects image garbage collection flags %j', (argv, message) => {
    const parse = () =>
      parseNodeAgentConfig(['--runtime-endpoint', '/run/c.sock', ...argv], {}, context);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('serves the kubelet server over HTTPS with a serving pair, on a chosen address and port', () => {
    const parsed = parseNodeAgentConfig(
      [
        ...['--runtime-endpoint', '/s', '--kubelet-address', '10.0.0.5', '--kubelet-port', '0'],
        ...['--tls-cert-file', 'pki/kubelet.crt', '--tls-private-key-file', 'pki/kubelet.key'],
      ],
      {},
      context,
    );
    expect(parsed).toMatchObject({
      config: {
        kubelet: {
          clusterDnsFromService: true,
          server: {
            host: '10.0.0.5',
            port: 0,
            tlsCertFile: '/srv/pki/kubelet.crt',
            tlsKeyFile: '/srv/pki/kubelet.key',
          },
        },
      },
    });
    const off = parseNodeAgentConfig(
      ['--runtime-endpoint', '/s', '--kubelet-port', 'off'],
      {},
      context,
    );
    expect(off.help === false && off.config.kubelet?.server).toBeUndefined();
  });

  it.each([
    [
      ['--runtime-endpoint', '/s', '--tls-cert-file', 'a.crt'],
      '--tls-cert-file and --tls-private-key-file go together; give both or neither',
    ],
    [
      ['--runtime-endpoint', '/s', '--kubelet-port', '70000'],
      '--kubelet-port: "70000" is not a port number (1-65535)',
    ],
    [
      ['--runtime-endpoint', 'tcp://x:1'],
      '--runtime-endpoint: "tcp://x:1" is not a unix socket (unix:///path or /path) nor fake://',
    ],
    [
      ['--runtime-endpoint', '/s', '--node-ip', '10.0.0.300'],
      '--node-ip: "10.0.0.300" is not an IP address',
    ],
    [
      ['--runtime-endpoint', '/s', '--register-with-taints', 'x:Sometimes'],
      '--register-with-taints: "x:Sometimes" is not a taint (key[=value]:NoSchedule|PreferNoSchedule|NoExecute)',
    ],
    [
      ['--servers', 'http://m1:6443', '--kubeconfig', 'kc'],
      '--servers and --kubeconfig both say where the masters are; give one',
    ],
    [
      ['--runtime-endpoint', '/s', '--cgroup-root', 'kubepods'],
      '--cgroup-root: "kubepods" is not an absolute cgroup path',
    ],
  ])('kubelet flags %j -> %s', (argv, message) => {
    expect(() => parseNodeAgentConfig(argv, {}, context)).toThrow(new ConfigError(message));
  });

  it('reads --kubeconfig relative to the working directory, and fake:// as a hollow node', () => {
    expect(
      parseNodeAgentConfig(
        [
          '--kubeconfig',
          'data/kubeconfig',
          '--proxy-kubeconfig',
          'data/nodes/kube-proxy.kubeconfig',
          '--runtime-endpoint',
          'fake://',
        ],
        {},
        context,
      ),
    ).toMatchObject({
      config: {
        kubeconfig: '/srv/data/kubeconfig',
        proxyKubeconfig: '/srv/data/nodes/kube-proxy.kubeconfig',
        servers: [],
        kubelet: { runtimeEndpoint: 'fake://' },
      },
    });
  });

  it('asks for --name when the host name is not a valid node name', () => {
    expect(() => parseNodeAgentConfig([], {}, { cwd: '/', hostname: 'under_score' })).toThrow(
      'the host name "under_score" is not a valid node name; set --name (or FLOTILLA_NAME)',
    );
  });
});
