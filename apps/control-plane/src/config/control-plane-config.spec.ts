import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@flotilla/process';
import {
  ControlPlaneConfig,
  controlPlaneUsage,
  parseControlPlaneConfig,
} from './control-plane-config';

const context = { cwd: '/srv/flotilla', hostname: 'box1' };

/** Most cases here are about other flags: they run in the insecure mode unless they say. */
function withMode(argv: string[], env: Record<string, string>): string[] {
  const said =
    argv.some((a) => ['--insecure', '--pki-dir', '--tls-cert-file'].includes(a)) ||
    env.FLOTILLA_INSECURE !== undefined ||
    env.FLOTILLA_PKI_DIR !== undefined;
  return said ? argv : [...argv, '--insecure', '--insecure-bind-any'];
}

function parse(argv: string[], env: Record<string, string> = {}): ControlPlaneConfig {
  const parsed = parseControlPlaneConfig(withMode(argv, env), env, context);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.config;
}

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseControlPlaneConfig(withMode(argv, env), env, context);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('control-plane configuration', () => {
  it('fills every default from just a name', () => {
    expect(parse(['--name', 'm1'])).toEqual({
      name: 'm1',
      dataDir: '/srv/flotilla/data/m1',
      listenHost: '127.0.0.1',
      advertiseHost: '127.0.0.1',
      apiPort: 6443,
      etcdPort: 2379,
      peerPort: 2380,
      peers: [{ name: 'm1', host: '127.0.0.1', port: 2380 }],
      clusterToken: 'flotilla',
      security: { mode: 'insecure' },
      logLevel: 'info',
      tickMs: 100,
      electionTicks: 10,
      snapshotEvery: 10000,
      initialClusterState: 'new',
      serviceCidr: '10.96.0.0/12',
      serviceNodePortRange: '30000-32767',
      masterLeaseTtlSeconds: 15,
      masterLeaseRefreshMs: 10000,
      controllerManager: { enabled: true, controllers: ['*'], flags: new Map() },
    });
  });

  it("reads the controller manager: --controllers, its controllers' flags, or none at all", () => {
    expect(
      parse([
        '--name',
        'm1',
        '--controllers',
        '*,-garbagecollector',
        '--concurrent-deployment-syncs',
        '10',
      ]),
    ).toMatchObject({
      controllerManager: {
        enabled: true,
        controllers: ['*', '-garbage-collector-controller'],
        flags: new Map([['concurrent-deployment-syncs', '10']]),
      },
    });
    expect(parse(['--name', 'm1', '--disable-controller-manager']).controllerManager?.enabled).toBe(
      false,
    );
    expect(() => parse(['--name', 'm1', '--controllers', 'replicaz'])).toThrow(
      '--controllers: "replicaz" is not in the list of known controllers',
    );
    expect(controlPlaneUsage()).toContain('--controllers LIST');
  });

  it('reads the master lease TTL (seconds) and refresh interval (milliseconds)', () => {
    expect(
      parse(['--name', 'm1', '--master-lease-ttl', '2', '--master-lease-refresh', '500']),
    ).toMatchObject({ masterLeaseTtlSeconds: 2, masterLeaseRefreshMs: 500 });
    expect(parse(['--name', 'm1'], { FLOTILLA_MASTER_LEASE_TTL: '30' })).toMatchObject({
      masterLeaseTtlSeconds: 30,
    });
    expect(controlPlaneUsage()).toContain('--master-lease-ttl SECONDS');
  });

  it('reads the Service ranges from flags or the environment, the CIDR normalised to its network', () => {
    expect(
      parse([
        '--name',
        'm1',
        '--service-cidr',
        '10.100.3.7/16',
        '--service-node-port-range=31000-31999',
      ]),
    ).toMatchObject({ serviceCidr: '10.100.0.0/16', serviceNodePortRange: '31000-31999' });
    expect(
      parse(['--name', 'm1'], {
        FLOTILLA_SERVICE_CIDR: '172.20.0.0/24',
        FLOTILLA_SERVICE_NODE_PORT_RANGE: ' 40000-40010 ',
      }),
    ).toMatchObject({ serviceCidr: '172.20.0.0/24', serviceNodePortRange: '40000-40010' });
    expect(controlPlaneUsage()).toContain('--service-cidr CIDR');
    expect(controlPlaneUsage()).toContain('env FLOTILLA_SERVICE_NODE_PORT_RANGE');
  });

  it('reads Raft timing like etcd: heartbeat interval and election timeout in milliseconds', () => {
    expect(
      parse(['--name', 'm1', '--heartbeat-interval', '50', '--election-timeout', '500']),
    ).toMatchObject({
      tickMs: 50,
      electionTicks: 10,
    });
    expect(() =>
      parse(['--name', 'm1', '--heartbeat-interval', '100', '--election-timeout', '150']),
    ).toThrow('--election-timeout: 150 must be at least twice the heartbeat interval (100)');
  });

  it('reads the environment alone (how a container is configured)', () => {
    const config = parse([], {
      FLOTILLA_NAME: 'm2',
      FLOTILLA_LISTEN_HOST: '0.0.0.0',
      FLOTILLA_DATA_DIR: '/var/lib/flotilla',
      FLOTILLA_API_PORT: '7443',
      FLOTILLA_ETCD_PORT: '3379',
      FLOTILLA_PEERS: 'm1=m1:2380,m2=m2:2380,m3=m3:2380',
      FLOTILLA_CLUSTER_TOKEN: 'prod',
      FLOTILLA_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      name: 'm2',
      listenHost: '0.0.0.0',
      advertiseHost: 'm2',
      dataDir: '/var/lib/flotilla',
      apiPort: 7443,
      etcdPort: 3379,
      peerPort: 2380,
      clusterToken: 'prod',
      logLevel: 'debug',
    });
    expect(config.peers.map((p) => `${p.name}=${p.host}:${p.port}`)).toEqual([
      'm1=m1:2380',
      'm2=m2:2380',
      'm3=m3:2380',
    ]);
  });

  it('lets flags win over the environment', () => {
    const config = parse(['--api-port=8443', '--name', 'm3'], {
      FLOTILLA_NAME: 'm1',
      FLOTILLA_API_PORT: '7443',
    });
    expect(config.name).toBe('m3');
    expect(config.apiPort).toBe(8443);
  });

  it('treats an empty environment variable as unset', () => {
    expect(parse(['--name', 'm1'], { FLOTILLA_API_PORT: '' }).apiPort).toBe(6443);
  });

  it("takes the peer port and advertised host from this member's --peers entry", () => {
    const config = parse([
      ...['--name', 'm2', '--peers', 'm1=10.0.0.1:2380,m2=10.0.0.2:2480'],
      ...['--cluster-token', 's3cret'],
    ]);
    expect(config.peerPort).toBe(2480);
    expect(config.advertiseHost).toBe('10.0.0.2');
  });

  it('binds Raft to --peer-host when given, apart from the client ports of --listen-host', () => {
    const config = parse([
      ...['--name', 'm2', '--peers', 'm1=127.0.10.1:2380,m2=127.0.10.2:2480'],
      ...['--peer-host', '127.0.10.2', '--advertise-host', '127.0.0.1'],
    ]);
    expect(config.listenHost).toBe('127.0.0.1');
    expect(config.peerHost).toBe('127.0.10.2');
    expect(config.advertiseHost).toBe('127.0.0.1');
    expect(parse(['--name', 'm1']).peerHost).toBeUndefined();
  });

  it('advertises the host name when listening on every address', () => {
    expect(parse(['--name', 'm1', '--listen-host', '0.0.0.0']).advertiseHost).toBe('box1');
    expect(
      parse(['--name', 'm1', '--listen-host', '0.0.0.0', '--advertise-host', '10.1.1.1'])
        .advertiseHost,
    ).toBe('10.1.1.1');
  });

  describe('the public default cluster token', () => {
    const remotePeers = ['--name', 'm1', '--peers', 'm1=10.0.0.1:2380,m2=10.0.0.2:2380,m3=m3:2380'];

    it('is fine when every peer and the peer listener are on loopback', () => {
      expect(
        parse(['--name', 'm1', '--peers', 'm1=127.0.0.1:2380,m2=localhost:2480,m3=[::1]:2580'])
          .clusterToken,
      ).toBe('flotilla');
    });

    it('is refused, in one line naming the flag, when peers are elsewhere', () => {
      const message = errorOf(remotePeers);
      expect(message).toBe(
        'the default --cluster-token "flotilla" is public and the peer port is not on loopback ' +
          '(m1 at 10.0.0.1, m2 at 10.0.0.2, m3 at m3): give every member the same secret ' +
          '--cluster-token (FLOTILLA_CLUSTER_TOKEN), or pass --insecure-default-token to accept the risk',
      );
      expect(message).not.toContain('\n');
    });

    it('is refused when the peer port listens beyond loopback, and when given explicitly', () => {
      expect(
        errorOf([
          ...['--name', 'm1', '--peers', 'm1=127.0.0.1:2380,m2=127.0.0.1:2480'],
          ...['--listen-host', '0.0.0.0', '--cluster-token', 'flotilla'],
        ]),
      ).toContain('(--listen-host 0.0.0.0)');
    });

    it('is left alone in a cluster of one, which has no peer traffic', () => {
      expect(parse(['--name', 'm1', '--listen-host', '0.0.0.0']).clusterToken).toBe('flotilla');
    });

    it('is accepted beyond loopback with --insecure-default-token or its variable', () => {
      expect(parse([...remotePeers, '--insecure-default-token']).clusterToken).toBe('flotilla');
      expect(parse(remotePeers, { FLOTILLA_INSECURE_DEFAULT_TOKEN: '1' }).clusterToken).toBe(
        'flotilla',
      );
      expect(controlPlaneUsage()).toContain('--insecure-default-token');
    });

    it('is not needed with a token of your own', () => {
      expect(parse([...remotePeers], { FLOTILLA_CLUSTER_TOKEN: 'prod' }).clusterToken).toBe('prod');
    });
  });

  it('accepts IPv6 peer addresses in brackets', () => {
    expect(parse(['--name', 'm1', '--peers', 'm1=[::1]:2380']).peers).toEqual([
      { name: 'm1', host: '::1', port: 2380 },
    ]);
  });

  it('returns help instead of a config for --help and -h', () => {
    expect(parseControlPlaneConfig(['--help'], {}, context)).toEqual({ help: true });
    expect(parseControlPlaneConfig(['-h'], {}, context)).toEqual({ help: true });
    expect(controlPlaneUsage()).toContain('--peers LIST');
    expect(controlPlaneUsage()).toContain('env FLOTILLA_PEERS');
  });

  it('reads the scheduler flags: --disable-scheduler and a checked --scheduler-config file', () => {
    expect(parse(['--name', 'm1']).disableScheduler).toBeUndefined();
    expect(parse(['--name', 'm1', '--disable-scheduler']).disableScheduler).toBe(true);
    expect(parse(['--name', 'm1'], { FLOTILLA_DISABLE_SCHEDULER: 'true' }).disableScheduler).toBe(
      true,
    );
    const dir = mkdtempSync(join(tmpdir(), 'sched-config-'));
    try {
      const good = join(dir, 'good.yaml');
      writeFileSync(
        good,
        'profiles: [{schedulerName: default-scheduler}, {schedulerName: packer}]\n',
      );
      const cfg = parse(['--name', 'm1', '--scheduler-config', good]).schedulerConfig;
      expect(cfg?.profiles.map((p) => p.schedulerName)).toEqual(['default-scheduler', 'packer']);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'percentageOfNodesToScore: 300\n');
      expect(errorOf(['--name', 'm1', '--scheduler-config', bad])).toBe(
        `--scheduler-config: ${bad}: percentageOfNodesToScore: not in valid range [0-100]`,
      );
      expect(errorOf(['--name', 'm1', '--scheduler-config', join(dir, 'missing.yaml')])).toContain(
        '--scheduler-config: cannot read',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('bad input names the flag or variable and the problem', () => {
    it.each([
      [
        ['--name', 'm1', '--api-port', 'abc'],
        {},
        '--api-port: "abc" is not a port number (1-65535)',
      ],
      [['--name', 'm1', '--api-port', '0'], {}, '--api-port: "0" is not a port number (1-65535)'],
      [
        ['--name', 'm1', '--etcd-port', '65536'],
        {},
        '--etcd-port: "65536" is not a port number (1-65535)',
      ],
      [
        ['--name', 'm1', '--peer-port', '-1'],
        {},
        '--peer-port: "-1" is not a port number (1-65535)',
      ],
      [
        ['--name', 'm1', '--api-port', '12.5'],
        {},
        '--api-port: "12.5" is not a port number (1-65535)',
      ],
      [
        ['--name', 'm1'],
        { FLOTILLA_API_PORT: 'x' },
        'FLOTILLA_API_PORT: "x" is not a port number (1-65535)',
      ],
      [['--name', 'm1', '--bogus', '1'], {}, 'unknown flag --bogus (see --help)'],
      [['--name', 'm1', '-x'], {}, 'unknown flag -x (see --help)'],
      [['--name', 'm1', 'extra'], {}, 'unexpected argument "extra" (see --help)'],
      [['--name'], {}, '--name: missing value'],
      [['--name', '--api-port', '1'], {}, '--name: missing value'],
      [['--name='], {}, '--name: empty value'],
      [['--name', 'm1', '--name', 'm2'], {}, '--name: given more than once'],
      [['--help=yes'], {}, '--help: takes no value'],
      [[], {}, '--name (or FLOTILLA_NAME) is required'],
      [
        ['--name', 'M_1'],
        {},
        `--name: "M_1" is not a valid name (lowercase letters, digits and '-', at most 63)`,
      ],
      [
        ['--name', 'm1', '--listen-host', 'not a host'],
        {},
        '--listen-host: "not a host" is not an IP address or host name',
      ],
      [
        ['--name', 'm1', '--log-level', 'loud'],
        {},
        '--log-level: "loud" is not one of debug, info, warn, error',
      ],
      [['--name', 'm1', '--etcd-port', '6443'], {}, '--etcd-port: 6443 is also the --api-port'],
      [
        ['--name', 'm4', '--peers', 'm1=a:2380,m2=b:2380'],
        {},
        '--peers: does not include this member "m4" (has m1, m2)',
      ],
      [
        ['--name', 'm1', '--peers', 'm1=a:2380,m1=b:2380'],
        {},
        '--peers: "m1" appears more than once',
      ],
      [
        ['--name', 'm1', '--peers', 'm1=a:2380,m2=a:2380'],
        {},
        '--peers: m2 and m1 have the same address',
      ],
      [['--name', 'm1', '--peers', 'm1:2380'], {}, '--peers: "m1:2380" is not name=host:port'],
      [
        ['--name', 'm1', '--peers', 'm1=a:99999'],
        {},
        '--peers: "m1=a:99999" is not name=host:port',
      ],
      [['--name', 'm1', '--peers', ','], {}, '--peers: empty list'],
      [
        ['--name', 'm1'],
        { FLOTILLA_PEERS: 'm2=a:1' },
        'FLOTILLA_PEERS: does not include this member "m1" (has m2)',
      ],
      [
        ['--name', 'm1', '--service-cidr', '10.96.0.0'],
        {},
        '--service-cidr: "10.96.0.0" is not an IPv4 CIDR between /8 and /30',
      ],
      [
        ['--name', 'm1', '--service-cidr', '10.96.0.0/31'],
        {},
        '--service-cidr: "10.96.0.0/31" is not an IPv4 CIDR between /8 and /30',
      ],
      [
        ['--name', 'm1'],
        { FLOTILLA_SERVICE_CIDR: 'fd00::/108' },
        'FLOTILLA_SERVICE_CIDR: "fd00::/108" is not an IPv4 CIDR between /8 and /30',
      ],
      [
        ['--name', 'm1', '--service-node-port-range', '30000'],
        {},
        '--service-node-port-range: "30000" is not a port range like 30000-32767 (ports 1-65535)',
      ],
      [
        ['--name', 'm1', '--service-node-port-range', '30000-70000'],
        {},
        '--service-node-port-range: "30000-70000" is not a port range like 30000-32767 (ports 1-65535)',
      ],
      [
        ['--name', 'm1'],
        { FLOTILLA_SERVICE_NODE_PORT_RANGE: '32767-30000' },
        'FLOTILLA_SERVICE_NODE_PORT_RANGE: "32767-30000" starts above its end',
      ],
      [
        ['--name', 'm1', '--master-lease-ttl', '0'],
        {},
        '--master-lease-ttl: "0" is not a whole number from 1 to 3600',
      ],
      [
        ['--name', 'm1', '--master-lease-ttl', '10'],
        {},
        '--master-lease-ttl: a refresh every 10000 ms must be shorter than the lease TTL (10 s)',
      ],
      [
        ['--name', 'm1', '--master-lease-ttl', '2', '--master-lease-refresh', '2000'],
        {},
        '--master-lease-refresh: a refresh every 2000 ms must be shorter than the lease TTL (2 s)',
      ],
    ])('%j %j -> %s', (argv, env, message) => {
      expect(errorOf(argv as string[], env as Record<string, string>)).toBe(message);
    });
  });

  describe('security', () => {
    it('is TLS from a PKI directory: serving, client CA, peer pair, and what exists besides', () => {
      const c = parse(['--name', 'm2', '--pki-dir', 'pki']);
      expect(c.security).toEqual({
        mode: 'secure',
        auditLogMaxSizeMb: 100,
        auditLogMaxBackups: 10,
        tlsCertFile: '/srv/flotilla/pki/server-m2.crt',
        tlsKeyFile: '/srv/flotilla/pki/server-m2.key',
        clientCaFile: '/srv/flotilla/pki/ca.crt',
        peerCertFile: '/srv/flotilla/pki/peer-m2.crt',
        peerKeyFile: '/srv/flotilla/pki/peer-m2.key',
        peerCaFile: '/srv/flotilla/pki/ca.crt',
      });
      expect(c.tlsClientCaFile).toBe('/srv/flotilla/pki/ca.crt');
    });

    it('takes single files over the directory, and needs them all without one', () => {
      const c = parse(['--name', 'm1', '--pki-dir', '/p', '--tls-cert-file', '/x/api.crt']);
      expect(c.security).toMatchObject({
        tlsCertFile: '/x/api.crt',
        tlsKeyFile: '/p/server-m1.key',
      });
      expect(errorOf(['--name', 'm1', '--tls-cert-file', 'a.crt', '--client-ca-file', 'ca'])).toBe(
        'TLS is on by default and needs --tls-private-key-file, --peer-cert-file, --peer-key-file: ' +
          'give --pki-dir DIR (flotilla up writes one under data/pki), or --insecure for plain HTTP on loopback',
      );
    });

    it('keeps --insecure to itself and to loopback', () => {
      expect(errorOf(['--name', 'm1', '--insecure', '--pki-dir', 'p'])).toBe(
        '--pki-dir: cannot be combined with --insecure',
      );
      expect(errorOf(['--name', 'm1', '--insecure', '--listen-host', '10.1.2.3'])).toMatch(
        /^--insecure: plain HTTP without authentication listens on loopback only, not 10.1.2.3/,
      );
      expect(parse(['--name', 'm1'], { FLOTILLA_INSECURE: '1' }).security).toEqual({
        mode: 'insecure',
      });
    });

    it('does not ask for a cluster token when the peers use mutual TLS', () => {
      const c = parse([
        '--name',
        'm1',
        '--pki-dir',
        'p',
        '--peers',
        'm1=10.0.0.1:2380,m2=10.0.0.2:2380',
      ]);
      expect(c.clusterToken).toBe('flotilla');
    });
  });
});
