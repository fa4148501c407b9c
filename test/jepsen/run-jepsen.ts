// One Jepsen run: a three-member cluster in network namespaces, clients pinned to each member
// recording a history, the nemesis working through its schedule, then the verdicts: every
// history linearizable per key, every member serving again soon after every fault, and the
// availability figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRng } from '../sim/prng';
import { assessRun, Problem } from './assess';
import { availability, KindAvailability } from './availability';
import { ApiVerdict, checkHistory } from './check-history';
import { History, historyLines } from './history';
import { Keyspace } from './keyspace';
import { FaultWindow, runSchedule, Schedule } from './nemesis/schedule';
import { NetworkFabric } from './support/network-fabric';
import { ensureNetworkTools } from './support/prerequisites';
import { JepsenCluster, SystemName } from './systems/cluster';
import { EtcdCluster } from './systems/etcd';
import { FlotillaBuild, FlotillaCluster } from './systems/flotilla';
import { EtcdRegisterClient } from './workload/etcd-register-client';
import { KubeConfigMapClient } from './workload/kube-configmap-client';

export interface JepsenOptions {
  system: SystemName;
  schedule: Schedule;
  seed: number;
  /** Flotilla from the sources (default: the code under test) or the built dist/. */
  build?: FlotillaBuild;
  /** Clients on the etcd API, spread over the members (the run had 10 on 5 keys). */
  etcdClients?: number;
  etcdKeys?: number;
  /** Clients on the Kubernetes API (Flotilla only), spread over the members. */
  kubeClients?: number;
  kubeKeys?: number;
  /** A key is retired after this many operations, which bounds every per-key search. */
  opsPerKey?: number;
  /** Per-request deadline of the workload's clients. */
  requestTimeoutMs?: number;
  /** Keep the data, logs and history even when everything passed. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface JepsenResult {
  system: SystemName;
  schedule: string;
  seed: number;
  /** Member logs, data and history.jsonl (deleted after a clean run unless asked to keep). */
  dir: string;
  kept: boolean;
  windows: FaultWindow[];
  verdicts: ApiVerdict[];
  availability: KindAvailability[];
  /** Wall time of the whole run, start-up and checking included. */
  runMs: number;
  workloadMs: number;
  operations: number;
  /** What fails the run: non-linearizable histories, members slow to serve after a fault. */
  problems: Problem[];
}

/** The clients' loops end at most this long after they are told to stop. */
const CLIENT_ERROR_PAUSE_MS = 100;

export async function runJepsen(opts: JepsenOptions): Promise<JepsenResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const runStart = performance.now();
  ensureNetworkTools();
  const dir = mkdtempSync(join(tmpdir(), `jepsen-${opts.system}-`));
  log(`jepsen ${opts.system} ${opts.schedule.name} seed ${opts.seed}: ${dir}`);
  const fabric = await NetworkFabric.create(['m1', 'm2', 'm3']);
  let cluster: JepsenCluster | undefined;
  const killOnExit = (): void => cluster?.killAllNow();
  process.once('exit', killOnExit);
  try {
    cluster =
      opts.system === 'flotilla'
        ? await FlotillaCluster.create(fabric, dir, opts.build ?? 'sources')
        : EtcdCluster.create(fabric, dir);
    await cluster.start();
    log(`${opts.system} ready in ${Math.round(performance.now() - runStart)} ms`);
    const t0 = performance.now();
    const clock = (): number => performance.now() - t0;
    const history = new History(clock);
    const { windows, workloadMs } = await workUnderFaults(cluster, history, clock, opts, log);
    await cluster.shutdown();

    const verdicts = checkHistory(history.entries);
    writeFileSync(join(dir, 'history.jsonl'), historyLines(history.entries));
    writeFileSync(join(dir, 'faults.json'), JSON.stringify(windows, null, 2));
    const result: JepsenResult = {
      system: opts.system,
      schedule: opts.schedule.name,
      seed: opts.seed,
      dir,
      kept: true,
      windows,
      verdicts,
      availability: availability(history.entries, windows, cluster.names),
      runMs: performance.now() - runStart,
      workloadMs,
      operations: history.entries.length,
      problems: [],
    };
    result.problems = assessRun(result);
    result.kept = opts.keep === true || result.problems.length > 0;
    if (!result.kept) rmSync(dir, { recursive: true, force: true });
    return result;
  } finally {
    process.removeListener('exit', killOnExit);
    if (cluster) await cluster.shutdown();
    else await fabric.destroy();
  }
}

async function workUnderFaults(
  cluster: JepsenCluster,
  history: History,
  clock: () => number,
  opts: JepsenOptions,
  log: (line: string) => void,
): Promise<{ windows: FaultWindow[]; workloadMs: number }> {
  const clientOpts = {
    timeoutMs: opts.requestTimeoutMs ?? 1000,
    errorPauseMs: CLIENT_ERROR_PAUSE_MS,
  };
  const opsPerKey = opts.opsPerKey ?? 100;
  const names = cluster.names;
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const loops: Promise<void>[] = [];

  const etcdKeys = new Keyspace(`/jepsen/${opts.seed}/k`, opts.etcdKeys ?? 5, opsPerKey);
  for (let i = 0; i < (opts.etcdClients ?? 10); i++) {
    const member = names[i % names.length];
    const client = new EtcdRegisterClient(
      `etcd-${i}`,
      member,
      cluster.endpoint(member),
      etcdKeys,
      history,
      createRng(opts.seed * 1000 + i),
      clientOpts,
    );
    loops.push(client.run(isStopped));
  }
  const kubeKeys = new Keyspace(`jepsen-${opts.seed}-cm`, opts.kubeKeys ?? 3, opsPerKey);
  const kubeClients = opts.kubeClients ?? 3;
  for (let i = 0; i < kubeClients; i++) {
    const member = names[i % names.length];
    const api = cluster.apiBase(member);
    if (api === undefined) break;
    const client = new KubeConfigMapClient(
      `kube-${i}`,
      member,
      api,
      kubeKeys,
      history,
      createRng(opts.seed * 1000 + 500 + i),
      { ...clientOpts, timeoutMs: Math.max(clientOpts.timeoutMs, 2000) },
    );
    loops.push(client.run(isStopped));
  }

  try {
    const windows = await runSchedule(cluster, opts.schedule, clock, createRng(opts.seed), (line) =>
      log(`  ${opts.system} ${line}`),
    );
    return { windows, workloadMs: clock() };
  } finally {
    stopped = true;
    await Promise.all(loops);
  }
}
