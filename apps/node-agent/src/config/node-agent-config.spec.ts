import { ConfigError } from '@flotilla/process';
import { parseNodeAgentConfig } from './node-agent-config';

const context = { cwd: '/srv', hostname: 'Worker-1' };

describe('node-agent configuration', () => {
  it('defaults the name to the lowercased host name and the port to 10250', () => {
    expect(parseNodeAgentConfig([], {}, context)).toEqual({
      help: false,
      config: {
        name: 'worker-1',
        dataDir: '/srv/data/nodes/worker-1',
        listenHost: '127.0.0.1',
        apiPort: 10250,
        servers: [],
        logLevel: 'info',
      },
    });
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
          clusterDomain: 'cluster.local',
          nodeLabels: { pool: 'a', zone: 'z1' },
          taints: [
            { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
            { key: 'maintenance', effect: 'NoExecute' },
          ],
        },
      },
    });
  });

  it.each([
    [
      ['--runtime-endpoint', 'tcp://x:1'],
      '--runtime-endpoint: "tcp://x:1" is not a unix socket (unix:///path or /path)',
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
      ['--runtime-endpoint', '/s', '--cgroup-root', 'kubepods'],
      '--cgroup-root: "kubepods" is not an absolute cgroup path',
    ],
  ])('kubelet flags %j -> %s', (argv, message) => {
    expect(() => parseNodeAgentConfig(argv, {}, context)).toThrow(new ConfigError(message));
  });

  it('asks for --name when the host name is not a valid node name', () => {
    expect(() => parseNodeAgentConfig([], {}, { cwd: '/', hostname: 'under_score' })).toThrow(
      'the host name "under_score" is not a valid node name; set --name (or FLOTILLA_NAME)',
    );
  });
});
