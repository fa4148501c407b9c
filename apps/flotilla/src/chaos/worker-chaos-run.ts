// A worker fault against the local cluster's real workers (flotilla up as root), watched until
// its pods run elsewhere: kill-worker SIGKILLs everything in the worker's network namespace (the
// host dies with its pods), stop-worker stops its node agent (the kubelet is gone, the pods keep
// running unseen). Then the timeline: the node NotReady and tainted, its pods evicted after their
// toleration, replacements scheduled and Ready on the other nodes; and, once flotilla up has
// started the worker again (SIGHUP), the node Ready again.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { KubeClient, Node, Pod } from '@flotilla/client';
import { ConfigError } from '@flotilla/process';
import type { ClusterState, WorkerRecord } from '../cluster-state/cluster-state';
import { processIsAlive, readClusterState } from '../cluster-state/cluster-state';
import type { ChaosOptions } from './chaos-options';
import type { ChaosResult } from './chaos-run';
import { TimelineKind } from './failover-tracker';
import { Timeline } from './timeline';
import { NodeView, PodView, WorkerFailoverTracker } from './worker-tracker';
import { ServiceTracker, ServiceView } from './service-tracker';
import { lookAtServices } from './service-views';

const LOOK_EVERY_MS = 500;
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
/** Kubernetes' DefaultTolerationSeconds: what a pod that says nothing tolerates. */
const DEFAULT_TOLERATION_SECONDS = 300;
/** A loaded machine can take minutes to start a node agent from sources; --timeout bounds it. */
const BACK_WITHIN_MS = 240_000;
/** How long a stopped node agent gets to finish its shutdown before SIGKILL. */
const AGENT_GRACE_MS = 15_000;

export async function runWorkerChaos(
  dataDir: string,
  state: ClusterState,
  client: KubeClient,
  o: ChaosOptions,
  print: (line: string) => void,
): Promise<ChaosResult> {
  if (o.action.kind !== 'kill-worker' && o.action.kind !== 'stop-worker') {
    throw new Error(`not a worker action: ${o.action.kind}`);
  }
  const kill = o.action.kind === 'kill-worker';
  const worker = pickWorker(state, o.action.worker);
  const before = await look(client);
  const tracker = new WorkerFailoverTracker(worker.name, before.nodes, before.pods);
  const services = new ServiceTracker(before.services, worker.name);
  print(describeBefore(worker, before, tracker.strandedCount, services.affected));

  const { events, t0, since, emit, note } = new Timeline(print);

  if (kill) {
    const pids = processesOfWorker(worker.netns);
    for (const pid of pids) signal(pid, 'SIGKILL');
    note(
      'fault',
      `killed worker ${worker.name}: SIGKILL to its ${pids.length} processes (node agent, containerd, shims, containers)`,
    );
  } else {
    if (worker.agentPid === null)
      throw new ConfigError(`${worker.name}'s node agent is not running`);
    signal(worker.agentPid, 'SIGTERM');
    note(
      'fault',
      `stopped ${worker.name}'s node agent (pid ${worker.agentPid}, SIGTERM): its pods run on, unreported`,
    );
  }

  const deadline = t0 + o.timeoutMs;
  let missing = tracker.missing();
  const observe = (now: Look) => {
    for (const e of tracker.observe(now.nodes, now.pods, since())) emit(e);
    for (const e of services.observe(now.services, since())) emit(e);
  };
  while (Date.now() < deadline) {
    const now = await look(client).catch(() => undefined);
    if (now) observe(now);
    missing = tracker.missing();
    if (missing.length === 0) break;
    await sleep(LOOK_EVERY_MS);
  }
  if (missing.length > 0) return { recovered: false, events, missing };
  note('action', `rescheduled: every pod of ${worker.name} runs Ready elsewhere`);
  if (!o.restart) {
    // Pods that only run on that node (a DaemonSet's) keep their Services short while it is down.
    const short = services.notWhole();
    if (short.length > 0)
      note('service', `still short while ${worker.name} is down: ${short.join(', ')}`);
    return { recovered: true, events, missing: [] };
  }

  // flotilla up starts only a worker whose agent is gone: one still shutting down after the
  // SIGTERM would be left as it is, and its node never Ready again.
  if (!kill && worker.agentPid !== null) await awaitExit(worker.agentPid, AGENT_GRACE_MS, note);
  signal(state.supervisorPid, 'SIGHUP');
  note(
    'action',
    `asked flotilla up (pid ${state.supervisorPid}) to start ${worker.name} again (SIGHUP)`,
  );
  const backBy = Math.min(deadline, Date.now() + BACK_WITHIN_MS);
  let saidBack = false;
  let saidFailed: string | undefined;
  let nodeReady = false;
  while (Date.now() < backBy) {
    const now = await look(client).catch(() => undefined);
    if (now) observe(now);
    nodeReady = now?.nodes.find((n) => n.name === worker.name)?.ready === 'True' || nodeReady;
    const failed = workerRecord(dataDir, worker.name)?.restartError;
    if (failed && failed !== saidFailed) {
      saidFailed = failed;
      note('action', `flotilla up could not start ${worker.name} again: ${failed}`);
    }
    if (nodeReady && !saidBack) {
      saidBack = true;
      const again = workerRecord(dataDir, worker.name);
      if (again?.agentPid)
        note('action', `${worker.name} runs again (node agent pid ${again.agentPid})`);
    }
    // Back, and every Service has as many ready endpoints as at the fault.
    if (nodeReady && services.notWhole().length === 0)
      return { recovered: true, events, missing: [] };
    await sleep(LOOK_EVERY_MS);
  }
  return {
    recovered: false,
    events,
    missing: [
      ...(nodeReady ? [] : [`node ${worker.name} Ready again`]),
      ...services.notWhole().map((s) => `Service ${s} whole again`),
    ],
  };
}

function pickWorker(state: ClusterState, name: string): WorkerRecord {
  const workers = state.workers ?? [];
  if (workers.length === 0) {
    throw new ConfigError(
      'this cluster runs no real workers (flotilla up starts them as root, --workers N)',
    );
  }
  const w = workers.find((x) => x.name === name);
  if (!w) {
    throw new ConfigError(
      `no worker ${JSON.stringify(name)} (have ${workers.map((x) => x.name).join(', ')})`,
    );
  }
  return w;
}

interface Look {
  nodes: NodeView[];
  pods: PodView[];
  services: ServiceView[];
}

async function look(client: KubeClient): Promise<Look> {
  const [nodes, pods, services] = await Promise.all([
    client.nodes().listAll(),
    client.pods().listAll(),
    lookAtServices(client),
  ]);
  return {
    services,
    nodes: (nodes.items as Node[]).map((n) => ({
      name: n.metadata.name ?? '',
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
      taints: (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`),
    })),
    pods: (pods.items as Pod[])
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .map((p) => ({
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name ?? '',
        node: p.spec?.nodeName,
        ready:
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        deleting: p.metadata.deletionTimestamp !== undefined,
        owned: (p.metadata.ownerReferences ?? []).some((r) => r.controller),
        owner: (p.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid,
        tolerationSeconds: tolerationOf(p),
      })),
  };
}

/** How long a pod stays on an unreachable node before eviction. */
function tolerationOf(p: Pod): number {
  const t = (p.spec?.tolerations ?? []).find(
    (x) => (x.key === UNREACHABLE || x.key === NOT_READY) && x.effect === 'NoExecute',
  );
  return t?.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
}

function describeBefore(
  w: WorkerRecord,
  before: Look,
  stranded: number,
  affected: string[],
): string {
  const node = before.nodes.find((n) => n.name === w.name);
  const mine = before.pods.filter((p) => p.node === w.name && p.owned && !p.deleting);
  const waits = [...new Set(mine.map((p) => p.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS))];
  const wait =
    waits.length === 0
      ? ''
      : `; they tolerate an unreachable node for ${waits.sort((a, b) => a - b).join('/')} s before eviction`;
  const services =
    affected.length > 0 ? `; Services with ready endpoints on it: ${affected.join(', ')}` : '';
  return `before: node ${w.name} ${node?.ready === 'True' ? 'Ready' : `NotReady (${node?.ready ?? 'not registered'})`}, ${stranded} pod(s) made by controllers on it${wait}${services}`;
}

/**
 * Every process of the worker "host": those in its network namespace (node agent, containerd,
 * shims) and those in its cgroup tree (the containers, which have network namespaces of their
 * own; the lab names each worker's cgroup root after its namespace).
 */
export function processesOfWorker(netns: string): number[] {
  const target = `net:[${statSync(`/var/run/netns/${netns}`).ino}]`;
  const cgroupRoot = `/${netns}/`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const inNetns = readlinkSync(`/proc/${entry}/ns/net`) === target;
      const inCgroups = readFileSync(`/proc/${entry}/cgroup`, 'utf8')
        .split('\n')
        .some((line) => line.split(':')[2]?.startsWith(cgroupRoot));
      if (inNetns || inCgroups) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function workerRecord(dataDir: string, name: string): WorkerRecord | undefined {
  try {
    return readClusterState(dataDir).workers?.find((w) => w.name === name);
  } catch {
    return undefined;
  }
}

/** Waits for pid to be gone; SIGKILL (said in the timeline) when it is not within graceMs. */
async function awaitExit(
  pid: number,
  graceMs: number,
  note: (kind: TimelineKind, text: string) => void,
): Promise<void> {
  const until = Date.now() + graceMs;
  while (processIsAlive(pid) && Date.now() < until) await sleep(200);
  if (!processIsAlive(pid)) return;
  note('action', `node agent pid ${pid} still running ${graceMs / 1000} s after SIGTERM: SIGKILL`);
  signal(pid, 'SIGKILL');
  const killedBy = Date.now() + 5000;
  while (processIsAlive(pid) && Date.now() < killedBy) await sleep(100);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
