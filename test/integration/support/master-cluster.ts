import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@flotilla/client';
import { MASTER_NODE_FLAGS } from '@flotilla/process';
import { renderKubeconfig } from '../../../apps/flotilla/src/up/kubeconfig';
import { freePortBlock } from './ports';
import { ToolResult, runTool } from './run-tool';
import { TsProcess } from './ts-process';
import { tryGetText, waitFor } from './wait';

export interface MasterPorts {
  api: number;
  etcd: number;
  peer: number;
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

  private constructor(
    size: number,
    base: number,
    private readonly extraArgs: string[],
    private readonly entry: string,
    private readonly nodeFlags: string[],
    /** The address every port binds (and that peers, clients and the kubeconfig use). */
    readonly host: string,
  ) {
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
    host = '127.0.0.1',
  ): Promise<MasterCluster> {
    const base = await freePortBlock(Array.from({ length: size * 3 }, (_, i) => i));
    const cluster = new MasterCluster(size, base, extraArgs, entry, nodeFlags, host);
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
    const offLoopback =
      this.host === '127.0.0.1'
        ? []
        : ['--listen-host', this.host, '--cluster-token', `test-${this.root.slice(-6)}`];
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
      async () =>
        (await tryGetText(`http://${this.host}:${api}/readyz`))?.status === 200 ? true : undefined,
      timeoutMs,
    );
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
    return `${this.host}:${this.ports.get(name)!.etcd}`;
  }

  endpoints(names = [...this.processes.keys()]): string {
    return names.map((n) => this.endpoint(n)).join(',');
  }

  /** Runs Debian's etcdctl (v3 API) against the given endpoints. */
  etcdctl(args: string[], endpoints = this.endpoints(), input?: string): Promise<ToolResult> {
    return runTool('etcdctl', [`--endpoints=${endpoints}`, '--command-timeout=10s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      input,
    });
  }

  /** A kubeconfig with one context per master (flotilla-m1, ...), as `flotilla up` writes. */
  get kubeconfig(): string {
    const path = join(this.root, 'kubeconfig');
    if (!existsSync(path)) {
      const masters = this.names.map((name) => ({ name, apiPort: this.ports.get(name)!.api }));
      writeFileSync(path, renderKubeconfig(masters, this.host));
    }
    return path;
  }

  /** Runs the real kubectl against one master (default m1) through that kubeconfig. */
  kubectl(args: string[], opts: { context?: string; input?: string } = {}): Promise<ToolResult> {
    return runTool('kubectl', [`--context=${opts.context ?? 'flotilla-m1'}`, ...args], {
      env: { ...process.env, KUBECONFIG: this.kubeconfig },
      input: opts.input,
    });
  }

  /** Waits until a master serves the Kubernetes API (its bootstrap namespaces exist). */
  async waitForApi(name = this.names[0]): Promise<void> {
    const { client } = connect([`http://${this.host}:${this.ports.get(name)!.api}`], {
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
