// A worker host on this machine: its network namespace on the fabric, its CNI network for its pod
// range, its containerd, and directories for its node agent. create() is idempotent (an existing
// containerd is adopted); destroy() leaves nothing: processes, mounts, namespaces, cgroups, CNI
// state, directories.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { removeCgroup } from './cgroups';
import { renderCniConflist } from './cni-config';
import { containerdPaths } from './containerd-config';
import { destroyContainerd, startContainerd } from './containerd-process';
import type { FabricSpec, WorkerNetSpec } from './netns';
import { mountsUnder } from '../volumes/mounter';
import { run, tryRun } from './run';
import { destroyWorkerNet, ensureWorkerNet, inNetns, netnsPath, workerAddress } from './netns';

export interface WorkerHostSpec {
  /** Node name, also the worker's directory name. */
  name: string;
  index: number;
  netns: string;
  /** The pod range when the lab owns the pod network (no masters); with masters, node IPAM's. */
  podCidr: string;
  /** Under which <name>/ holds containerd's and the kubelet's files. */
  baseDir: string;
  fabric: FabricSpec;
  /** host:port of the registry, reachable from the fabric. */
  registry: string;
  sandboxImage: string;
  /**
   * The Services' ClusterIP range, routed onto the fabric link: a node reaches ClusterIPs itself
   * (kube-proxy rewrites them in its output hook, after the route lookup, which needs a route), as
   * a real node does through its default route. On-link rather than a default route through the
   * machine, so a packet no Service rewrites goes nowhere.
   */
  serviceCidr?: string;
}

/** Machine-wide names derive from the namespace name, which is unique on the machine. */
function cgroupRootOf(spec: WorkerHostSpec): string {
  return `/${spec.netns}`;
}

function cniNetworkOf(spec: WorkerHostSpec): string {
  return spec.netns;
}

export class WorkerHost {
  private constructor(
    readonly spec: WorkerHostSpec,
    readonly containerdPid: number,
  ) {}

  get dir(): string {
    return join(this.spec.baseDir, this.spec.name);
  }

  static containerdDir(spec: WorkerHostSpec): string {
    return join(spec.baseDir, spec.name, 'containerd');
  }

  get socket(): string {
    return containerdPaths(WorkerHost.containerdDir(this.spec)).socket;
  }

  get address(): string {
    return workerAddress(this.spec.fabric, this.spec.index);
  }

  get netnsPath(): string {
    return netnsPath(this.spec.netns);
  }

  /** The kubelet's root directory (pods, volumes). */
  get kubeletDir(): string {
    return join(this.dir, 'kubelet');
  }

  get podLogDir(): string {
    return join(this.dir, 'pod-logs');
  }

  /** The cgroup all of this worker's pods live under (named after the namespace: unique here). */
  get cgroupRoot(): string {
    return cgroupRootOf(this.spec);
  }

  get cniNetworkName(): string {
    return cniNetworkOf(this.spec);
  }

  get net(): WorkerNetSpec {
    return { netns: this.spec.netns, index: this.spec.index, podCidr: this.spec.podCidr };
  }

  /** argv running a command in this worker's network namespace. */
  exec(argv: string[]): string[] {
    return inNetns(this.spec.netns, argv);
  }

  static async create(spec: WorkerHostSpec): Promise<WorkerHost> {
    await ensureWorkerNet(spec.fabric, {
      netns: spec.netns,
      index: spec.index,
      podCidr: spec.podCidr,
    });
    if (spec.serviceCidr) {
      await run('ip', ['-n', spec.netns, 'route', 'replace', spec.serviceCidr, 'dev', 'eth0']);
    }
    const cdir = WorkerHost.containerdDir(spec);
    const paths = containerdPaths(cdir);
    // Empty until someone owns the pod network: the node agent (from its Node's podCIDR) or
    // writeStaticCni(); containerd picks the configuration up when it appears.
    await fs.mkdir(paths.cniConfDir, { recursive: true });
    const handle = await startContainerd(spec.netns, {
      dir: cdir,
      registry: spec.registry,
      sandboxImage: spec.sandboxImage,
    });
    const host = new WorkerHost(spec, handle.pid);
    await fs.mkdir(host.kubeletDir, { recursive: true });
    await fs.mkdir(host.podLogDir, { recursive: true });
    return host;
  }

  /** containerd's CNI configuration directory (the node agent's --cni-conf-dir). */
  get cniConfDir(): string {
    return containerdPaths(WorkerHost.containerdDir(this.spec)).cniConfDir;
  }

  /**
   * A pod network without masters (static pods only): the CNI configuration for the range the
   * lab gave this worker, spec.podCidr.
   */
  async writeStaticCni(): Promise<void> {
    const cdir = WorkerHost.containerdDir(this.spec);
    await fs.writeFile(
      join(this.cniConfDir, '10-flotilla.conflist'),
      renderCniConflist({
        networkName: this.cniNetworkName,
        podCidr: this.spec.podCidr,
        ipamDataDir: join(cdir, 'cni-ipam'),
      }),
    );
  }

  /** Tears the worker down completely. Safe to call for a worker that is half there or gone. */
  static async destroy(spec: WorkerHostSpec): Promise<void> {
    const cdir = WorkerHost.containerdDir(spec);
    await destroyContainerd(cdir, cniNetworkOf(spec));
    await removeCgroup(cgroupRootOf(spec));
    await destroyWorkerNet(spec.fabric, {
      netns: spec.netns,
      index: spec.index,
      podCidr: spec.podCidr,
    });
    const dir = join(spec.baseDir, spec.name);
    for (const m of await mountsUnder(dir)) {
      if (!(await tryRun('umount', [m]))) await run('umount', ['-l', m]);
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  destroy(): Promise<void> {
    return WorkerHost.destroy(this.spec);
  }
}
