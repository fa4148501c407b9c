import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UnreachableError } from '../transport/errors';
import { connectFromKubeconfig } from './connect';
import { KubeconfigError } from './kubeconfig-error';
import { loadKubeconfig, parseKubeconfig } from './load';
import { peerContexts, resolveContext } from './resolve';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kubeconfig', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-kubeconfig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What `flotilla up --tls` writes: one cluster and one context per master. */
  const flotillaUp = (ports: number[], scheme = 'https') => `apiVersion: v1
kind: Config
clusters:
${ports
  .map(
    (p, i) => `- name: flotilla-m${i + 1}
  cluster:
    server: ${scheme}://127.0.0.1:${p}
    certificate-authority-data: ${b64('CA PEM')}`,
  )
  .join('\n')}
contexts:
${ports
  .map(
    (_, i) => `- name: flotilla-m${i + 1}
  context:
    cluster: flotilla-m${i + 1}
    user: flotilla
    namespace: default`,
  )
  .join('\n')}
current-context: flotilla-m1
users:
- name: flotilla
  user:
    token: admin-token
preferences: {}
`;

  it("reads flotilla up's kubeconfig: every context of the cluster is a failover peer", () => {
    const config = loadKubeconfig({ path: write('kubeconfig', flotillaUp([6443, 6543, 6643])) });
    const peers = peerContexts(config);
    expect(peers.map((p) => [p.context, p.server])).toEqual([
      ['flotilla-m1', 'https://127.0.0.1:6443'],
      ['flotilla-m2', 'https://127.0.0.1:6543'],
      ['flotilla-m3', 'https://127.0.0.1:6643'],
    ]);
    expect(peers[0].tls?.ca?.toString()).toBe('CA PEM');
    expect(peers[0].authorization?.()).toBe('Bearer admin-token');
    expect(peers[0].namespace).toBe('default');
    // Starting from another context puts that master first.
    expect(peerContexts(config, 'flotilla-m3').map((p) => p.context)).toEqual([
      'flotilla-m3',
      'flotilla-m1',
      'flotilla-m2',
    ]);
  });

  it('keeps clusters that trust another authority, or use another user, out of the peers', () => {
    const text = flotillaUp([1, 2])
      .replace(
        'contexts:',
        `- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: ${b64('OTHER CA')}
contexts:
- name: prod
  context: {cluster: prod, user: flotilla, namespace: default}
- name: as-someone-else
  context: {cluster: flotilla-m2, user: other}`,
      )
      .replace('users:', 'users:\n- name: other\n  user: {token: t2}');
    const config = parseKubeconfig(text, '/k');
    expect(peerContexts(config).map((p) => p.context)).toEqual(['flotilla-m1', 'flotilla-m2']);
    expect(peerContexts(config, 'prod').map((p) => p.context)).toEqual(['prod']);
  });

  it('resolves files relative to the kubeconfig, data fields, token files and basic auth', () => {
    write('certs/ca.crt', 'CA FROM FILE');
    write('certs/client.crt', 'CLIENT CERT');
    write('certs/client.key', 'CLIENT KEY');
    write('token', 'file-token\n');
    const path = write(
      'conf/config',
      `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: 'https://a:6443', certificate-authority: ../certs/ca.crt, tls-server-name: api.a}
- name: b
  cluster: {server: 'https://b:6443', insecure-skip-tls-verify: true}
users:
- name: files
  user: {client-certificate: ../certs/client.crt, client-key: ../certs/client.key, tokenFile: ../token}
- name: data
  user: {client-certificate-data: ${b64('CERT DATA')}, client-key-data: ${b64('KEY DATA')}}
- name: basic
  user: {username: admin, password: secret}
contexts:
- name: files
  context: {cluster: a, user: files, namespace: team}
- name: data
  context: {cluster: b, user: data}
- name: basic
  context: {cluster: b, user: basic}
current-context: files
`,
    );
    const config = loadKubeconfig({ path });
    const files = resolveContext(config);
    expect(files.tls).toEqual({
      ca: Buffer.from('CA FROM FILE'),
      cert: Buffer.from('CLIENT CERT'),
      key: Buffer.from('CLIENT KEY'),
      serverName: 'api.a',
    });
    expect(files.authorization?.()).toBe('Bearer file-token');
    expect(files.namespace).toBe('team');
    const data = resolveContext(config, 'data');
    expect(data.tls).toEqual({
      insecureSkipVerify: true,
      cert: Buffer.from('CERT DATA'),
      key: Buffer.from('KEY DATA'),
    });
    expect(data.authorization).toBeUndefined();
    expect(data.namespace).toBe('default');
    expect(resolveContext(config, 'basic').authorization?.()).toBe(`Basic ${b64('admin:secret')}`);
  });

  it('re-reads a token file after a minute', () => {
    const tokenPath = write('tok', 'one');
    let now = 0;
    const config = parseKubeconfig(
      `clusters: [{name: c, cluster: {server: 'http://x:1'}}]
users: [{name: u, user: {tokenFile: ${tokenPath}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x`,
      join(dir, 'inline'),
    );
    const auth = resolveContext(config, undefined, { clock: () => now }).authorization!;
    expect(auth()).toBe('Bearer one');
    write('tok', 'two');
    now = 59_000;
    expect(auth()).toBe('Bearer one');
    now = 60_000;
    expect(auth()).toBe('Bearer two');
  });

  it('merges KUBECONFIG files as kubectl does: first file wins per entry and for current-context', () => {
    write('ca1', 'CA ONE');
    const first = write(
      'one/config',
      `clusters: [{name: shared, cluster: {server: 'https://first:1', certificate-authority: ../ca1}}]
contexts: [{name: ctx, context: {cluster: shared, user: u1}}]
users: [{name: u1, user: {token: t1}}]
`,
    );
    const second = write(
      'two/config',
      `clusters:
- {name: shared, cluster: {server: 'https://second:1'}}
- {name: only-second, cluster: {server: 'https://only:1'}}
contexts:
- {name: ctx, context: {cluster: only-second, user: u1}}
- {name: other, context: {cluster: only-second, user: u2}}
users: [{name: u1, user: {token: ignored}}, {name: u2, user: {token: t2}}]
current-context: other
`,
    );
    const missing = join(dir, 'nope', 'config');
    const config = loadKubeconfig({
      env: { KUBECONFIG: [missing, first, second].join(delimiter) },
    });
    expect(config.files).toEqual([first, second]);
    expect(config.currentContext).toBe('other');
    expect(resolveContext(config).server).toBe('https://only:1');
    expect(resolveContext(config).authorization?.()).toBe('Bearer t2');
    const ctx = resolveContext(config, 'ctx');
    expect([ctx.server, ctx.tls?.ca?.toString(), ctx.authorization?.()]).toEqual([
      'https://first:1',
      'CA ONE',
      'Bearer t1',
    ]);
  });

  it('reads ~/.kube/config when neither a path nor KUBECONFIG is given', () => {
    write('home/.kube/config', flotillaUp([7000], 'http'));
    const config = loadKubeconfig({ env: { HOME: join(dir, 'home') } });
    expect(resolveContext(config).server).toBe('http://127.0.0.1:7000');
  });

  describe('bad input: one clear error naming the file', () => {
    const errorOf = (f: () => unknown): KubeconfigError => {
      try {
        f();
      } catch (err) {
        if (err instanceof KubeconfigError) return err;
        throw err;
      }
      throw new Error('expected a KubeconfigError');
    };

    it('a missing file', () => {
      const path = join(dir, 'absent');
      expect(errorOf(() => loadKubeconfig({ path })).message).toBe(
        `kubeconfig ${path}: cannot read it: no such file`,
      );
      const both = [join(dir, 'a'), join(dir, 'b')].join(delimiter);
      expect(errorOf(() => loadKubeconfig({ env: { KUBECONFIG: both } })).message).toMatch(
        /none of the files in KUBECONFIG exists: .*\/a, .*\/b/,
      );
    });

    it('malformed YAML, with its line', () => {
      const path = write('bad', 'clusters:\n  - name: x\n   cluster: [\n');
      expect(errorOf(() => loadKubeconfig({ path })).message).toMatch(
        new RegExp(`^kubeconfig ${path}: malformed YAML at line \\d+ column \\d+: `),
      );
    });

    it('a file that is not a kubeconfig', () => {
      const path = write('list', '- 1\n- 2\n');
      expect(errorOf(() => loadKubeconfig({ path })).message).toBe(
        `kubeconfig ${path}: is not a kubeconfig (not a YAML mapping)`,
      );
      const clusters = write('c', 'clusters: {a: 1}\n');
      expect(errorOf(() => loadKubeconfig({ path: clusters })).message).toBe(
        `kubeconfig ${clusters}: clusters is not a list`,
      );
    });

    it('an unknown context, a context naming nothing, no current-context', () => {
      const path = write('k', flotillaUp([1, 2]));
      const config = loadKubeconfig({ path });
      expect(errorOf(() => resolveContext(config, 'nope')).message).toBe(
        `kubeconfig ${path}: context "nope" not found (have: flotilla-m1, flotilla-m2)`,
      );
      const dangling = parseKubeconfig(
        'contexts: [{name: x, context: {cluster: gone}}]\ncurrent-context: x\n',
        '/d',
      );
      expect(errorOf(() => resolveContext(dangling)).message).toBe(
        'kubeconfig /d: context "x" names cluster "gone", which is not defined',
      );
      expect(errorOf(() => resolveContext(parseKubeconfig('', '/e'))).message).toBe(
        'kubeconfig /e: no current-context is set and there are no contexts',
      );
    });

    it('a server that is not a URL, bad base64, a certificate without its key, exec plugins', () => {
      const base = (cluster: string, user: string) =>
        parseKubeconfig(
          `clusters: [{name: c, cluster: ${cluster}}]
users: [{name: u, user: ${user}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x`,
          '/f',
        );
      expect(errorOf(() => resolveContext(base('{server: "ftp://h"}', '{}'))).message).toBe(
        'kubeconfig /f: cluster "c": API server ftp://h: scheme ftp: is not http or https',
      );
      expect(errorOf(() => resolveContext(base('{}', '{}'))).message).toBe(
        'kubeconfig /f: cluster "c" has no server',
      );
      expect(
        errorOf(() =>
          resolveContext(base('{server: "https://h", certificate-authority-data: "%%%"}', '{}')),
        ).message,
      ).toBe('kubeconfig /f: cluster "c" certificate-authority-data is not base64');
      expect(
        errorOf(() =>
          resolveContext(base('{server: "https://h"}', `{client-certificate-data: ${b64('c')}}`)),
        ).message,
      ).toMatch(/user "u" has a client certificate without its key/);
      expect(
        errorOf(() => resolveContext(base('{server: "https://h"}', '{exec: {command: aws}}')))
          .message,
      ).toMatch(
        /^kubeconfig \/f: user "u" authenticates with exec, which this client does not run/,
      );
      expect(
        errorOf(() =>
          resolveContext(base('{server: "https://h", certificate-authority: /no/ca}', '{}')),
        ).message,
      ).toBe(
        'kubeconfig /f: cluster "c" certificate-authority /no/ca: cannot read it: no such file',
      );
    });

    it('a server that refuses connections: the error names the endpoint', async () => {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const path = write('refused', flotillaUp([port], 'http'));
      const { client } = connectFromKubeconfig({ kubeconfig: path, rounds: 1 });
      try {
        const err = await client
          .namespaces()
          .get('default')
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnreachableError);
        expect((err as Error).message).toMatch(
          new RegExp(`^cannot reach the API server: http://127.0.0.1:${port} \\(.*ECONNREFUSED`),
        );
      } finally {
        client.close();
      }
    });
  });
});
