// A fleet of fake nodes for controller scenarios: Nodes with a Ready condition, their Leases in
// kube-node-lease renewed on the fake clock (a kubelet's heartbeat), and pods bound to them and
// reported running and ready. Stopping a node's heartbeat is just not renewing it.
import type { FakeClock, KubeClient, Lease, Node, Pod, coreV1 } from '@flotilla/client';

const NODE_LEASES = 'kube-node-lease';

function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Fleet {
  constructor(
    private readonly client: KubeClient,
    private readonly clock: FakeClock,
  ) {}

  /** Registers a node (zone label when given) with Ready=True and a fresh Lease. */
  async addNode(name: string, opts: { zone?: string; labels?: Record<string, string> } = {}) {
    const labels: Record<string, string> = { 'kubernetes.io/hostname': name, ...opts.labels };
    if (opts.zone) labels['topology.kubernetes.io/zone'] = opts.zone;
    const created = await this.client.nodes().create({ metadata: { name, labels }, spec: {} });
    await this.postStatus(name, 'True', created);
    await this.client.leases(NODE_LEASES).create({
      metadata: { name, namespace: NODE_LEASES },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: micro(this.clock.now()),
      },
    });
  }

  /** What a kubelet posts: the Ready condition (a new heartbeat), keeping the others. */
  async postStatus(name: string, ready: 'True' | 'False', known?: Node): Promise<Node> {
    const node = known ?? (await this.client.nodes().get(name));
    const now = seconds(this.clock.now());
    const old = node.status?.conditions?.find((c) => c.type === 'Ready');
    const conditions: coreV1.NodeCondition[] = [
      ...(node.status?.conditions ?? []).filter((c) => c.type !== 'Ready'),
      {
        type: 'Ready',
        status: ready,
        reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady',
        message: ready === 'True' ? 'kubelet is posting ready status' : 'container runtime is down',
        lastHeartbeatTime: now,
        lastTransitionTime: old?.status === ready ? old.lastTransitionTime : now,
      },
    ];
    return this.client.nodes().patchStatus(name, { status: { conditions } }, 'merge');
  }

  /** Renews the Leases of `names` at the fake clock's time. */
  async heartbeat(names: readonly string[]): Promise<void> {
    const renewTime = micro(this.clock.now());
    await Promise.all(
      names.map((name) =>
        this.client
          .leases(NODE_LEASES)
          .patch(name, { spec: { renewTime } } satisfies Partial<Lease>, 'merge'),
      ),
    );
  }

  /**
   * Moves the clock on by `ms` in steps of `stepMs`, the nodes in `alive` renewing their Lease
   * at each step (the others silent), letting the API and the controller catch up in between.
   */
  async run(ms: number, alive: readonly string[], stepMs = 1000): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      if (alive.length > 0) await this.heartbeat(alive);
      await this.clock.advance(Math.min(stepMs, ms - t));
      await new Promise((r) => setTimeout(r, 3));
    }
  }

  /** A pod bound to `node`, running and ready, with these tolerations (admission adds defaults). */
  async addPod(
    name: string,
    node: string,
    opts: {
      namespace?: string;
      tolerations?: coreV1.Toleration[];
      labels?: Record<string, string>;
      ip?: string;
    } = {},
  ): Promise<Pod> {
    const ns = opts.namespace ?? 'default';
    const pods = this.client.pods(ns);
    await pods.create({
      metadata: { name, namespace: ns, labels: opts.labels },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      },
    });
    await pods.bind(name, node);
    const bound = await pods.get(name);
    const now = seconds(this.clock.now());
    return pods.updateStatus({
      ...bound,
      status: {
        ...bound.status,
        phase: 'Running',
        podIP: opts.ip ?? '10.244.0.10',
        podIPs: [{ ip: opts.ip ?? '10.244.0.10' }],
        conditions: [
          ...(bound.status?.conditions ?? []),
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
      },
    });
  }
}

export function taintsOf(node: Node): string[] {
  return (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
}

export function readyOf(obj: Node | Pod): string | undefined {
  return (obj.status?.conditions as { type: string; status: string }[] | undefined)?.find(
    (c) => c.type === 'Ready',
  )?.status;
}
