import { createServer, Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/ports';
import { TsProcess } from './support/ts-process';
import { tryGetText, waitFor } from './support/wait';

const CONTROL_PLANE = 'apps/control-plane/src/main.ts';
const NODE_AGENT = 'apps/node-agent/src/main.ts';

describe('control-plane and node-agent as processes', () => {
  let root: string;
  const running: TsProcess[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-proc-'));
    writeFileSync(join(root, 'a-file'), '');
  });
  afterAll(() => {
    for (const p of running) p.kill();
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs to completion; asserts the one-line, no-stack-trace failure rule. */
  async function failsWith(entry: string, args: string[]): Promise<string> {
    const proc = new TsProcess(entry, args);
    running.push(proc);
    const exit = await proc.exit();
    expect(exit.code).toBe(2);
    const lines = proc.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\bat .*:\d+/);
    return lines[0];
  }

  it.each([
    [['--name', 'm1', '--bogus'], 'flotilla control-plane: unknown flag --bogus (see --help)'],
    [
      ['--name', 'm1'],
      'flotilla control-plane: TLS is on by default and needs --tls-cert-file, ' +
        '--tls-private-key-file, --client-ca-file, --peer-cert-file, --peer-key-file: give ' +
        '--pki-dir DIR (flotilla up writes one under data/pki), or --insecure for plain HTTP on loopback',
    ],
    [
      ['--name', 'm1', '--insecure', '--listen-host', '0.0.0.0'],
      'flotilla control-plane: --insecure: plain HTTP without authentication listens on loopback ' +
        'only, not 0.0.0.0: give --pki-dir (or the TLS files), or --insecure-bind-any on a ' +
        'private test network',
    ],
    [['--name'], 'flotilla control-plane: --name: missing value'],
    [
      ['--name', 'm1', '--api-port', 'abc'],
      'flotilla control-plane: --api-port: "abc" is not a port number (1-65535)',
    ],
    [
      ['--name', 'm4', '--peers', 'm1=127.0.0.1:2380'],
      'flotilla control-plane: --peers: does not include this member "m4" (has m1)',
    ],
    [
      ['--name', 'm1', '--insecure', '--peers', 'm1=10.0.0.1:2380,m2=10.0.0.2:2380'],
      'flotilla control-plane: the default --cluster-token "flotilla" is public and the peer port ' +
        'is not on loopback (m1 at 10.0.0.1, m2 at 10.0.0.2): give every member the same secret ' +
        '--cluster-token (FLOTILLA_CLUSTER_TOKEN), or pass --insecure-default-token to accept the risk',
    ],
  ])('rejects %j with one line on stderr', async (args, line) => {
    expect(await failsWith(CONTROL_PLANE, args)).toBe(line);
  });

  it('rejects a data directory it cannot create', async () => {
    const dir = join(root, 'a-file', 'm1');
    expect(await failsWith(CONTROL_PLANE, ['--name', 'm1', '--insecure', '--data-dir', dir])).toBe(
      `flotilla control-plane: --data-dir: cannot create ${JSON.stringify(dir)}: not a directory`,
    );
  });

  it.each(['etcd', 'peer'])(
    'reports a busy %s port with one line naming the flag',
    async (which) => {
      const busy = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
      try {
        const ports: Record<string, number> = {
          api: await freePort(),
          etcd: which === 'etcd' ? busy : await freePort(),
          peer: which === 'peer' ? busy : await freePort(),
        };
        const args = ['--name', 'm1', '--insecure', '--data-dir', join(root, `busy-${which}`)];
        for (const [k, v] of Object.entries(ports)) args.push(`--${k}-port`, String(v));
        expect(await failsWith(CONTROL_PLANE, args)).toBe(
          `flotilla control-plane: --${which}-port: 127.0.0.1:${busy} is already in use`,
        );
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    },
  );

  it('reports an API port already in use at listen time', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const [etcdPort, peerPort] = [await freePort(), await freePort()];
      const args = [
        '--name',
        'm1',
        '--insecure',
        '--api-port',
        String(port),
        '--etcd-port',
        String(etcdPort),
        '--peer-port',
        String(peerPort),
        '--data-dir',
        join(root, 'busy'),
      ];
      expect(await failsWith(CONTROL_PLANE, args)).toBe(
        `flotilla control-plane: --api-port: 127.0.0.1:${port} is already in use`,
      );
    } finally {
      blocker.close();
    }
  });

  it('rejects bad node-agent flags the same way', async () => {
    expect(await failsWith(NODE_AGENT, ['--servers', 'ftp://x'])).toBe(
      'flotilla node-agent: --servers: "ftp://x" is not an http(s) URL',
    );
  });

  it('serves /healthz and exits 0 on SIGTERM, configured by environment alone', async () => {
    const port = await freePort();
    const envProc = new TsProcess(CONTROL_PLANE, [], {
      env: {
        FLOTILLA_NAME: 'm7',
        FLOTILLA_API_PORT: String(port),
        FLOTILLA_ETCD_PORT: String(await freePort()),
        FLOTILLA_PEER_PORT: String(await freePort()),
        FLOTILLA_DATA_DIR: join(root, 'm7'),
        FLOTILLA_LISTEN_HOST: '127.0.0.1',
        FLOTILLA_INSECURE: 'true',
      },
    });
    running.push(envProc);
    const ok = await waitFor('healthz', async () => {
      const r = await tryGetText(`http://127.0.0.1:${port}/healthz`);
      return r?.status === 200 ? r : undefined;
    });
    expect(ok.body).toBe('ok');
    envProc.child.kill('SIGTERM');
    expect(await envProc.exit()).toEqual({ code: 0, signal: null });
    const lines = envProc.stdout.split('\n').filter((l) => l !== '');
    expect(lines.every((l) => JSON.parse(l).node === 'm7')).toBe(true);
  });
});
