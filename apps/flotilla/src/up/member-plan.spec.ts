import { ConfigError } from '@flotilla/process';
import { planMembers } from './member-plan';
import { parseUpOptions } from './up-options';

function options(argv: string[], platform: NodeJS.Platform = 'linux') {
  const parsed = parseUpOptions(argv, {
    cwd: '/w',
    defaultEntry: '/dist/apps/control-plane/main.js',
    platform,
  });
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

describe('flotilla up member plan', () => {
  it('lays out three members on the documented default ports', () => {
    const plans = planMembers(options([]), '/usr/bin/node', '/w/data/pki');
    expect(plans.map((p) => [p.name, p.apiPort, p.etcdPort, p.peerPort, p.dataDir])).toEqual([
      ['m1', 6443, 2379, 2380, '/w/data/m1'],
      ['m2', 6444, 2479, 2480, '/w/data/m2'],
      ['m3', 6445, 2579, 2580, '/w/data/m3'],
    ]);
    expect(plans[1].process).toEqual({
      command: '/usr/bin/node',
      args: [
        '--max-semi-space-size=8',
        '/dist/apps/control-plane/main.js',
        '--name',
        'm2',
        '--data-dir',
        '/w/data/m2',
        '--listen-host',
        '127.0.0.1',
        '--api-port',
        '6444',
        '--etcd-port',
        '2479',
        '--peer-port',
        '2480',
        '--peers',
        'm1=127.0.10.1:2380,m2=127.0.10.2:2480,m3=127.0.10.3:2580',
        '--peer-host',
        '127.0.10.2',
        '--advertise-host',
        '127.0.0.1',
        '--cluster-token',
        'flotilla',
        '--pki-dir',
        '/w/data/pki',
        '--audit-policy-file',
        '/w/data/audit-policy.yaml',
      ],
    });
    expect(plans.map((p) => p.peerHost)).toEqual(['127.0.10.1', '127.0.10.2', '127.0.10.3']);
    // Without a PKI directory (flotilla up --insecure): the members' insecure mode.
    expect(planMembers(options(['--insecure']), 'node')[0].process.args.slice(-1)).toEqual([
      '--insecure',
    ]);
  });

  it('shares --listen-host for Raft where 127/8 is not all local (not Linux)', () => {
    const args = planMembers(options([], 'darwin'), 'node')[0].process.args.join(' ');
    expect(args).toContain('--peers m1=127.0.0.1:2380,m2=127.0.0.1:2480,m3=127.0.0.1:2580');
    expect(args).not.toContain('--peer-host');
  });

  it("advertises the clients' address while Raft uses the own ones, also on the workers' fabric", () => {
    const args = planMembers(options(['--listen-host', '0.0.0.0']), 'node')[2].process.args;
    expect(args[args.indexOf('--advertise-host') + 1]).toBe('127.0.0.1');
    expect(args[args.indexOf('--peer-host') + 1]).toBe('127.0.10.3');
  });

  it('gives members listening beyond loopback a random shared token instead of the public default', () => {
    const up = options(['--listen-host', '0.0.0.0']);
    expect(up.clusterToken).toMatch(/^[0-9a-f]{32}$/);
    const tokens = planMembers(up, 'node').map((p) => {
      const args = p.process.args;
      return args[args.indexOf('--cluster-token') + 1];
    });
    expect(new Set(tokens)).toEqual(new Set([up.clusterToken]));
    expect(options(['--listen-host', '0.0.0.0', '--cluster-token', 'mine']).clusterToken).toBe(
      'mine',
    );
  });

  it('passes the Service ranges to every member only when given', () => {
    const plans = planMembers(
      options(['--service-cidr', '10.100.0.0/16', '--service-node-port-range', '31000-31999']),
      'node',
    );
    for (const p of plans) {
      expect(p.process.args.join(' ')).toContain(
        '--service-cidr 10.100.0.0/16 --service-node-port-range 31000-31999',
      );
    }
    expect(planMembers(options([]), 'node')[0].process.args.join(' ')).not.toContain('service');
  });

  it('runs a .ts entry through tsx', () => {
    const plans = planMembers(options(['--control-plane-entry', 'src/main.ts']), 'node');
    expect(plans[0].process.args.slice(0, 4)).toEqual([
      '--max-semi-space-size=8',
      '--import',
      'tsx',
      '/w/src/main.ts',
    ]);
  });

  it('moves every port with the base flags and sizes the cluster with --members', () => {
    const plans = planMembers(
      options([
        '--members',
        '5',
        '--base-api-port',
        '30000',
        '--base-etcd-port',
        '31000',
        '--base-peer-port',
        '31001',
      ]),
      'node',
    );
    expect(plans.map((p) => p.apiPort)).toEqual([30000, 30001, 30002, 30003, 30004]);
    expect(plans[4].peerPort).toBe(31401);
  });

  it.each([
    [['--base-api-port', '65535'], '--base-api-port: m2 api port would be 65536, above 65535'],
    [['--base-api-port', '2379'], '--base-etcd-port: port 2379 is both m1 api and m1 etcd'],
    [['--members', '0'], '--members: "0" is not a whole number from 1 to 7'],
    [['--stop-timeout', 'soon'], '--stop-timeout: "soon" is not a whole number from 1 to 600'],
    [['--name', 'm1'], 'unknown flag --name (see --help)'],
    [
      ['--service-cidr', '10.96.0.0/33'],
      '--service-cidr: "10.96.0.0/33" is not an IPv4 CIDR between /8 and /30',
    ],
    [['--service-node-port-range', '9-1'], '--service-node-port-range: "9-1" starts above its end'],
  ])('%j -> %s', (argv, message) => {
    expect(() => planMembers(options(argv), 'node')).toThrow(new ConfigError(message));
  });
});

describe('flotilla up nodes', () => {
  const parse = (argv: string[], isRoot: boolean) => {
    const parsed = parseUpOptions(argv, { cwd: '/w', defaultEntry: '/d/main.js', isRoot });
    if (parsed.help) throw new Error('unexpected help');
    return parsed.options;
  };

  it('as root: two real workers, the masters on the workers’ fabric address', () => {
    const o = parse([], true);
    expect(o).toMatchObject({ workers: 2, hollowNodes: 0, notes: [], listenHost: '10.239.0.254' });
    expect(o.clusterToken).not.toBe('flotilla');
    expect(parse(['--workers', '3', '--hollow-nodes', '5'], true)).toMatchObject({
      workers: 3,
      hollowNodes: 5,
    });
    expect(parse(['--workers', '0'], true)).toMatchObject({
      workers: 0,
      listenHost: '127.0.0.1',
    });
  });

  it('without root: hollow nodes stand in for the workers, and a note says why', () => {
    const o = parse([], false);
    expect(o).toMatchObject({ workers: 0, hollowNodes: 2, listenHost: '127.0.0.1' });
    expect(o.notes).toEqual([
      expect.stringMatching(/^real workers need root \(network namespaces/),
    ]);
    expect(parse(['--workers', '3'], false)).toMatchObject({ workers: 0, hollowNodes: 3 });
    expect(parse(['--workers', '0'], false)).toMatchObject({ hollowNodes: 0, notes: [] });
  });

  it('refuses a listen host the workers cannot reach, and counts out of range', () => {
    expect(() => parse(['--listen-host', '127.0.0.2'], true)).toThrow(
      /--listen-host: real workers reach the masters at 10\.239\.0\.254/,
    );
    expect(() => parse(['--workers', '10'], true)).toThrow(ConfigError);
    expect(() => parse(['--hollow-nodes', '-1'], false)).toThrow(ConfigError);
  });

  it('plain HTTP off loopback tells the members so', () => {
    const plans = planMembers(parse(['--insecure'], true), 'node');
    expect(plans[0].process.args.slice(-2)).toEqual(['--insecure', '--insecure-bind-any']);
  });
});
