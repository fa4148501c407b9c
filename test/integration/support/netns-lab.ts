// Worker "hosts" and "pods" as network namespaces on one machine, for the node-network tests: a
// fabric bridge joins the workers; each worker has a pod bridge and host-gw routes to the others.
// Everything is named with one prefix and removed by destroy(). Needs root and iproute2; the
// tests fail loudly without them (they never skip).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

export interface Worker {
  name: string;
  netns: string;
  /** Address on the fabric. */
  ip: string;
  /** Pod range and the bridge's (gateway) address in it. */
  podCidr: string;
  gateway: string;
}

export interface Pod {
  name: string;
  netns: string;
  ip: string;
  worker: Worker;
}

export function requireTools(tools: string[]): void {
  if (process.getuid?.() !== 0)
    throw new Error('these tests need root (network namespaces, nftables)');
  for (const tool of tools) {
    const found = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin'].some((d) =>
      existsSync(`${d}/${tool}`),
    );
    if (!found) throw new Error(`${tool} is not installed: apt-get install -y ${packageOf(tool)}`);
  }
}

function packageOf(tool: string): string {
  return (
    { nft: 'nftables', ip: 'iproute2', conntrack: 'conntrack', nsenter: 'util-linux' }[tool] ?? tool
  );
}

export function sh(args: string[], input?: string): string {
  return execFileSync(args[0], args.slice(1), {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function inNs(netns: string, args: string[], input?: string): string {
  return sh(['nsenter', `--net=/var/run/netns/${netns}`, ...args], input);
}

export class NetnsLab {
  readonly fabric: string;
  readonly workers: Worker[] = [];
  readonly pods: Pod[] = [];
  private readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];
  private readonly etcDirs: string[] = [];

  readonly prefix: string;

  /**
   * @param tag two letters naming the test; the process id is added, so that runs of the same
   *   test from two checkouts at once do not meet (names stay short enough for interfaces)
   * @param subnet second octet of the lab's private ranges: fabric 192.168.<subnet>.0/24, pods
   *   10.<subnet>.<worker>.0/24 (inside the lab's namespaces only)
   */
  constructor(
    readonly tag: string,
    readonly subnet: number,
  ) {
    this.prefix = `${tag}${process.pid}`;
    this.fabric = `${this.prefix}-fab`;
    this.removeLeftovers();
    this.addNs(this.fabric);
    inNs(this.fabric, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    inNs(this.fabric, ['ip', 'link', 'set', 'br0', 'up']);
  }

  /** A namespace on the fabric with one address (an outside client, a router). */
  addFabricHost(name: string, hostNumber: number): { netns: string; ip: string } {
    const netns = `${this.prefix}-${name}`;
    const ip = `192.168.${this.subnet}.${hostNumber}`;
    this.addNs(netns);
    this.plugIntoFabric(netns, `${this.prefix}h${hostNumber}`, ip);
    return { netns, ip };
  }

  /** A worker with its pod bridge; routes to and from the other workers' pod ranges. With
   *  `bare`, only its fabric link: the code under test makes the bridge and the routes. */
  addWorker(name: string, options: { defaultVia?: string; bare?: boolean } = {}): Worker {
    const n = this.workers.length + 1;
    const netns = `${this.prefix}-${name}`;
    const worker: Worker = {
      name,
      netns,
      ip: `192.168.${this.subnet}.${n}`,
      podCidr: `10.${this.subnet}.${n}.0/24`,
      gateway: `10.${this.subnet}.${n}.1`,
    };
    this.addNs(netns);
    this.plugIntoFabric(netns, `${this.prefix}w${n}`, worker.ip);
    inNs(netns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    if (options.defaultVia)
      inNs(netns, ['ip', 'route', 'add', 'default', 'via', options.defaultVia]);
    if (options.bare) {
      this.workers.push(worker);
      return worker;
    }
    inNs(netns, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    inNs(netns, ['ip', 'addr', 'add', `${worker.gateway}/24`, 'dev', 'cni0']);
    inNs(netns, ['ip', 'link', 'set', 'cni0', 'up']);
    for (const other of this.workers) {
      inNs(netns, ['ip', 'route', 'add', other.podCidr, 'via', other.ip]);
      inNs(other.netns, ['ip', 'route', 'add', worker.podCidr, 'via', worker.ip]);
    }
    this.workers.push(worker);
    return worker;
  }

  /** A pod on `worker`'s bridge, with the worker as its default gateway. */
  addPod(worker: Worker, name: string, hostNumber: number): Pod {
    const netns = `${this.prefix}-${name}`;
    const ip = `${worker.gateway.split('.').slice(0, 3).join('.')}.${hostNumber}`;
    this.addNs(netns);
    const hostSide = `${this.prefix}p${name}`.slice(0, 15);
    inNs(worker.netns, [
      'ip',
      'link',
      'add',
      hostSide,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    inNs(worker.netns, ['ip', 'link', 'set', hostSide, 'master', 'cni0', 'up']);
    // As the CNI bridge plugin's hairpinMode does: with br_netfilter, a pod's packet DNATed back
    // to the pod itself is bridged out of the port it came in by.
    inNs(worker.netns, ['ip', 'link', 'set', hostSide, 'type', 'bridge_slave', 'hairpin', 'on']);
    inNs(netns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    inNs(netns, ['ip', 'link', 'set', 'eth0', 'up']);
    inNs(netns, ['ip', 'route', 'add', 'default', 'via', worker.gateway]);
    const pod = { name, netns, ip, worker };
    this.pods.push(pod);
    return pod;
  }

  /** An empty namespace for a pod whose interface a CNI plugin will make. */
  addEmptyNs(name: string): string {
    const netns = `${this.prefix}-${name}`;
    this.addNs(netns);
    return netns;
  }

  /** Starts a process inside a namespace; killed by destroy(). With `etc`, through `ip netns
   *  exec`, which also shows the namespace's /etc/netns/<name>/ files (its resolv.conf) at /etc. */
  spawnIn(netns: string, args: string[], options: { etc?: boolean } = {}): ChildProcess {
    const argv = options.etc
      ? ['ip', 'netns', 'exec', netns, ...args]
      : ['nsenter', `--net=/var/run/netns/${netns}`, ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.processes.push(child);
    return child;
  }

  /** The resolv.conf processes started with `etc` see in this namespace. */
  setResolvConf(netns: string, text: string): void {
    mkdirSync(`/etc/netns/${netns}`, { recursive: true });
    writeFileSync(`/etc/netns/${netns}/resolv.conf`, text);
    this.etcDirs.push(`/etc/netns/${netns}`);
  }

  destroy(): void {
    for (const p of this.processes) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0;
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true });
  }

  private addNs(netns: string): void {
    sh(['ip', 'netns', 'add', netns]);
    this.namespaces.push(netns);
    inNs(netns, ['ip', 'link', 'set', 'lo', 'up']);
  }

  private plugIntoFabric(netns: string, fabricSide: string, ip: string): void {
    inNs(this.fabric, [
      'ip',
      'link',
      'add',
      fabricSide,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    inNs(this.fabric, ['ip', 'link', 'set', fabricSide, 'master', 'br0', 'up']);
    inNs(netns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    inNs(netns, ['ip', 'link', 'set', 'eth0', 'up']);
  }

  /** Namespaces of an earlier run of this test whose process died before its cleanup. */
  private removeLeftovers(): void {
    const list = sh(['ip', 'netns', 'list']);
    const pattern = new RegExp(`^${this.tag}(\\d+)-`);
    for (const line of list.split('\n')) {
      const ns = line.split(' ')[0];
      const pid = pattern.exec(ns)?.[1];
      if (pid && (Number(pid) === process.pid || !isAlive(Number(pid)))) {
        sh(['ip', 'netns', 'del', ns]);
        rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      }
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
