import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, connectFromKubeconfig } from '@flotilla/client';
import { ensureClusterPki, issueNodeCertificate, pkiPaths } from '@flotilla/pki';
import { MASTER_NODE_FLAGS } from '@flotilla/process';
import {
  kubeconfigWithCertificate,
  renderKubeconfig,
} from '../../../apps/flotilla/src/up/kubeconfig';
import { writeNodeCredentials } from '../../../apps/flotilla/src/up/node-credentials';
import type { AgentOptions } from '../../../libs/kubelet/src/host/lab';
import { freePortBlock } from './ports';
import { ToolResult, runTool } from './run-tool';
import { TsProcess } from './ts-process';
import { tryGetText, waitFor } from './wait';

export interface MasterPorts {
  api: number;
  etcd: number;
  peer: number;
}

/** Flags that put a master in the secure mode. */
const SECURE_FLAGS = ['--pki-dir', '--tls-cert-file'];

export interface MasterClusterOptions {
  /**
   * TLS on every port and RBAC, as `flotilla up` runs by default: a cluster PKI under
   * ROOT/pki, and the harness's kubectl, etcdctl and clients use its admin certificate.
   * Without it the members run --insecure (plain, everything allowed), as before.
   */
  secure?: boolean;
  /** The address the masters listen on (loopback by default); see start(). */
  host?: string;
  /**
   * With secure: the masters verify kubelets' serving certificates against the cluster CA
   * (--kubelet-certificate-authority), as `flotilla up` does; start agents with
   * nodeAgentOptions().
   */
  verifyKubelets?: boolean;
}

/**
 * Three (or N) real control-plane processes on loopback, started from the sources, with their
 * own data directories: what `flotilla up` runs, under a test's control (kill -9, restart,
 * wipe).
 */
export class MasterCluster {
  readonly names: string[];
  readonly ports = new Map<string, MasterPorts>();
  readonly processes = new Map<string, TsProcess>();
  readonly root = mkdtempSync(join(tmpdir(), 'flotilla-masters-'));

  /** The cluster PKI directory in the secure mode. */
  readonly pkiDir: string | undefined;

  private constructor(
    size: number,
    base: number,
    private readonly extraArgs: string[],
    private readonly entry: string,
    private readonly nodeFlags: string[],
    secure: boolean,
    /** The address every port binds (and that peers, clients and the kubeconfig use). */
    readonly host: string,
  ) {
    this.pkiDir = secure ? join(this.root, 'pki') : undefined;
    if (this.pkiDir) this.extraArgs = ['--pki-dir', this.pkiDir, ...extraArgs];
    this.names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    this.names.forEach((name, i) =>
      this.ports.set(name, { api: base + i * 3, etcd: base + i * 3 + 1, peer: base + i * 3 + 2 }),
    );
  }

  /**
   * `entry` is the control plane's main: its sources by default; benchmarks pass the built
   * dist/apps/control-plane/main.js, which is what `flotilla up` and the images run. `nodeFlags`
   * go to node itself (a benchmark's --cpu-prof). `host`: the address the masters listen on;
   * off loopback (say, a worker lab's fabric address) they share a cluster token of their own.
   */
  static async start(
    size = 3,
    extraArgs: string[] = [],
    entry = 'apps/control-plane/src/main.ts',
    nodeFlags: string[] = [],
    options: MasterClusterOptions = {},
  ): Promise<MasterCluster> {
    const base = await freePortBlock(Array.from({ length: size * 3 }, (_, i) => i));
    const host = options.host ?? '127.0.0.1';
    const cluster = new MasterCluster(
      size,
      base,
      extraArgs,
      entry,
      nodeFlags,
      options.secure === true,
      host,
    );
    if (cluster.pkiDir && options.verifyKubelets) {
      cluster.extraArgs.push('--kubelet-certificate-authority', pkiPaths(cluster.pkiDir).caCert);
    }
    if (cluster.pkiDir) {
      await ensureClusterPki(cluster.pkiDir, {
        masters: cluster.names.map((name) => ({ name, hosts: [host] })),
        serviceIp: '10.96.0.1',
      });
    }
    for (const name of cluster.names) cluster.startMember(name);
    for (const name of cluster.names) await cluster.waitReady(name);
    return cluster;
  }

  /** Reserves ports for a member to be added at run time (it joins with `existing`). */
  async reserve(name: string): Promise<MasterPorts> {
    const base = await freePortBlock([0, 1, 2]);
    const ports = { api: base, etcd: base + 1, peer: base + 2 };
    this.ports.set(name, ports);
    this.names.push(name);
    return ports;
  }

  startMember(name: string, moreArgs: string[] = []): TsProcess {
    const peers = this.names.map((n) => `${n}=${this.host}:${this.ports.get(n)!.peer}`).join(',');
    const secure = [...this.extraArgs, ...moreArgs].some((a) => SECURE_FLAGS.includes(a));
    // Off loopback the insecure mode must be told it is on a private network.
    const offLoopback =
      this.host === '127.0.0.1'
        ? []
        : [
            '--listen-host',
            this.host,
            '--cluster-token',
            `test-${this.root.slice(-6)}`,
            ...(secure ? [] : ['--insecure-bind-any']),
          ];
    const p = this.ports.get(name)!;
    const proc = new TsProcess(
      this.entry,
      [
        '--name',
        name,
        '--data-dir',
        join(this.root, name),
        '--api-port',
        String(p.api),
        '--etcd-port',
        String(p.etcd),
        '--peer-port',
        String(p.peer),
        '--peers',
        peers,
        // Today's harness runs the insecure mode unless a test hands it certificates.
        ...(secure ? [] : ['--insecure']),
        ...offLoopback,
        ...withoutOverridden(
          ['--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'warn'],
          [...this.extraArgs, ...moreArgs],
        ),
        ...this.extraArgs,
        ...moreArgs,
      ],
      { nodeFlags: [...MASTER_NODE_FLAGS, ...this.nodeFlags] },
    );
    this.processes.set(name, proc);
    return proc;
  }

  async waitReady(name: string, timeoutMs = 60_000): Promise<void> {
    const api = this.ports.get(name)!.api;
    await waitFor(
      `${name} ready`,
      async () => ((await this.readyz(api)) === 200 ? true : undefined),
      timeoutMs,
    );
  }

  /** /readyz's status code (anonymous: allowed in both modes), or undefined if not answering. */
  private async readyz(api: number): Promise<number | undefined> {
    if (!this.pkiDir) return (await tryGetText(`http://${this.host}:${api}/readyz`))?.status;
    const ca = readFileSync(pkiPaths(this.pkiDir).caCert);
    return new Promise((resolve) => {
      const req = request({ host: this.host, port: api, path: '/readyz', ca }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.setTimeout(5000, () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  /** etcdctl's TLS flags in the secure mode (the admin certificate), none otherwise. */
  private etcdctlTls(): string[] {
    if (!this.pkiDir) return [];
    const p = pkiPaths(this.pkiDir);
    return [`--cacert=${p.caCert}`, `--cert=${p.adminCert}`, `--key=${p.adminKey}`];
  }

  kill(name: string): void {
    this.processes.get(name)?.kill();
    this.processes.delete(name);
  }

  async stop(name: string): Promise<void> {
    const proc = this.processes.get(name);
    if (!proc) return;
    proc.child.kill('SIGTERM');
    await proc.exit(20_000);
    this.processes.delete(name);
  }

  wipe(name: string): void {
    rmSync(join(this.root, name), { recursive: true, force: true });
  }

  endpoint(name: string): string {
    const address = `${this.host}:${this.ports.get(name)!.etcd}`;
    return this.pkiDir ? `https://${address}` : address;
  }

  endpoints(names = [...this.processes.keys()]): string {
    return names.map((n) => this.endpoint(n)).join(',');
  }

  /** Runs Debian's etcdctl (v3 API) against the given endpoints. */
  etcdctl(args: string[], endpoints = this.endpoints(), input?: string): Promise<ToolResult> {
    const tls = this.etcdctlTls();
    return runTool(
      'etcdctl',
      [`--endpoints=${endpoints}`, '--command-timeout=10s', ...tls, ...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        input,
      },
    );
  }

  /** A kubeconfig with one context per master (flotilla-m1, ...), as `flotilla up` writes. */
  get kubeconfig(): string {
    const path = join(this.root, 'kubeconfig');
    if (!existsSync(path)) {
      const masters = this.names.map((name) => ({ name, apiPort: this.ports.get(name)!.api }));
      const p = this.pkiDir ? pkiPaths(this.pkiDir) : undefined;
      const b64 = (file: string) => readFileSync(file).toString('base64');
      const tls = p && {
        caData: b64(p.caCert),
        clientCertData: b64(p.adminCert),
        clientKeyData: b64(p.adminKey),
      };
      writeFileSync(path, renderKubeconfig(masters, this.host, tls));
    }
    return path;
  }

  /**
   * A kubelet's kubeconfig for node `name` (secure mode): the masters as in `kubeconfig`, as
   * system:node:<name> with its own certificate, as `flotilla certs node` writes it. For lab
   * workers and tests of the Node authorizer.
   */
  async nodeKubeconfig(name: string): Promise<string> {
    if (!this.pkiDir) throw new Error('node identities need the secure mode');
    const { cert, key } = await issueNodeCertificate(this.pkiDir, name);
    const path = join(this.root, `node-${name}.kubeconfig`);
    const b64 = (file: string) => readFileSync(file).toString('base64');
    writeFileSync(
      path,
      kubeconfigWithCertificate(readFileSync(this.kubeconfig, 'utf8'), {
        clientCertData: b64(cert),
        clientKeyData: b64(key),
      }),
      { mode: 0o600 },
    );
    return path;
  }

  /**
   * A lab worker's agent options in the secure mode, as `flotilla up` gives its workers: the
   * kubelet as system:node:<name>, kube-proxy as system:kube-proxy, and the kubelet server's
   * pair from the cluster CA naming the worker's address.
   */
  async nodeAgentOptions(name: string, address: string): Promise<AgentOptions> {
    if (!this.pkiDir) throw new Error('node identities need the secure mode');
    const c = await writeNodeCredentials({
      dataDir: this.root,
      node: name,
      addresses: [address],
      adminKubeconfig: this.kubeconfig,
    });
    return {
      kubeconfig: c.kubeconfig,
      proxyKubeconfig: c.proxyKubeconfig,
      serving: { ...c.serving!, clientCa: c.clientCa },
    };
  }

  /**
   * kube-proxy's kubeconfig (system:kube-proxy, the cluster's kube-proxy certificate), for a
   * node agent's --proxy-kubeconfig beside its nodeKubeconfig.
   */
  proxyKubeconfig(): string {
    if (!this.pkiDir) throw new Error('component identities need the secure mode');
    const p = pkiPaths(this.pkiDir);
    const path = join(this.root, 'kube-proxy.kubeconfig');
    writeFileSync(
      path,
      kubeconfigWithCertificate(readFileSync(this.kubeconfig, 'utf8'), {
        clientCertData: readFileSync(p.clientCert('kube-proxy')).toString('base64'),
        clientKeyData: readFileSync(p.clientKey('kube-proxy')).toString('base64'),
      }),
      { mode: 0o600 },
    );
    return path;
  }

  /** Runs the real kubectl against one master (default m1) through that kubeconfig. */
  kubectl(
    args: string[],
    opts: { context?: string; input?: string; kubeconfig?: string } = {},
  ): Promise<ToolResult> {
    return runTool('kubectl', [`--context=${opts.context ?? 'flotilla-m1'}`, ...args], {
      env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? this.kubeconfig },
      input: opts.input,
    });
  }

  /** Waits until a master serves the Kubernetes API (its bootstrap namespaces exist). */
  async waitForApi(name = this.names[0]): Promise<void> {
    const { client } = this.pkiDir
      ? connectFromKubeconfig({
          kubeconfig: this.kubeconfig,
          context: `flotilla-${name}`,
          rateLimit: false,
          rounds: 1,
        })
      : connect([`http://${this.host}:${this.ports.get(name)!.api}`], {
          rateLimit: false,
          rounds: 1,
        });
    try {
      await waitFor(`${name} serving the API`, () =>
        client
          .namespaces()
          .get('kube-system')
          .then(
            () => true,
            () => undefined,
          ),
      );
    } finally {
      client.close();
    }
  }

  /** The member that says it is the leader, per `endpoint status`. */
  async leader(): Promise<string> {
    return waitFor(
      'a leader',
      async () => {
        for (const name of this.processes.keys()) {
          const r = await this.etcdctl(['endpoint', 'status', '-w', 'json'], this.endpoint(name));
          if (r.code !== 0) continue;
          const [status] = JSON.parse(r.stdout) as {
            Status: { leader: string | number; header: { member_id: string | number } };
          }[];
          if (String(status.Status.leader) === String(status.Status.header.member_id)) return name;
        }
        return undefined;
      },
      30_000,
      200,
    );
  }

  async shutdown(): Promise<void> {
    for (const p of this.processes.values()) p.kill();
    this.processes.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Default flag/value pairs, minus the flags the caller gives itself (a flag may appear once). */
function withoutOverridden(defaults: string[], given: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < defaults.length; i += 2) {
    if (!given.includes(defaults[i])) out.push(defaults[i], defaults[i + 1]);
  }
  return out;
}
