// One fault against the local cluster, watched until it has healed: every look at the cluster
// goes through the FailoverTracker, whose events are printed as they happen.
import { ApiError } from '@flotilla/api';
import type { KubeClient } from '@flotilla/client';
import { ConfigError } from '@flotilla/process';
import { ClusterState, readClusterState } from '../cluster-state/cluster-state';
import { holdDown } from '../cluster-state/keep-down';
import {
  COMPONENT_LEASES,
  ClusterSnapshot,
  apiSnapshot,
  masterSnapshots,
  takeSnapshot,
} from '../observe/cluster-snapshot';
import type { ChaosOptions } from './chaos-options';
import { FailoverTracker, TimelineEvent } from './failover-tracker';
import { Timeline } from './timeline';
import { IsolatedWriter, startIsolatedWriter } from './isolated-writer';
import { applyPartition, firewallUnavailable, healPartition } from './partition-firewall';
import { CHAOS_TABLE, Partition, planPartition } from './partition-rules';
import { ServiceTracker } from './service-tracker';
import { lookAtServices } from './service-views';

const RAFT_LOOK_EVERY_MS = 50;
/** A master silent this long counts as down: a master starting under tsx can starve the others
 * of CPU for a few hundred ms, and that is not a fault. (A dead one refuses at once.) */
const SILENT_AFTER_MS = 1000;
const API_LOOK_EVERY_MS = 200;
const CONTROL_EVERY_MS = 50;
const WRITE_EVERY_MS = 150;
const WRITES_IN_FLIGHT = 8;
/** A kill is followed by a restart once failover is over, or after this long at most. */
const RESTART_AFTER_MS = 20_000;
const PROBE = { namespace: 'default', name: 'flotilla-chaos' };
/** Created through a cut-off master, never accepted (removed if it ever was). */
const ISOLATED_PROBE = { namespace: 'default', name: 'flotilla-chaos-isolated' };

export interface ChaosResult {
  recovered: boolean;
  events: TimelineEvent[];
  /** Why it did not recover, when it did not. */
  missing: string[];
}

export async function runChaos(
  dataDir: string,
  initial: ClusterState,
  client: KubeClient,
  o: ChaosOptions,
  print: (line: string) => void,
): Promise<ChaosResult> {
  const look = (state: ClusterState) =>
    takeSnapshot(state, client, { etcdTimeoutMs: 400, pods: false });
  const before = await look(initial);
  const target = pickTarget(initial, before, o);
  const member = initial.members.find((m) => m.name === target)!;
  if (member.pid === null) throw new ConfigError(`${target} is not running (${member.state})`);
  print(describeBefore(before));
  await ensureProbe(client);
  // The kubernetes Service lists the masters with a live Lease; the others should not notice.
  const services = new ServiceTracker(await lookAtServices(client).catch(() => []));

  const { events, t0, since, emit, note } = new Timeline(print);

  const tracker = new FailoverTracker(before, target);
  const kill = o.action.kind === 'kill-leader' || o.action.kind === 'kill-master';
  const pid = member.pid;
  const role = before.masters.find((m) => m.name === target)?.role ?? 'down';
  // A real partition when this machine can make one; else SIGSTOP stands in, and says why.
  let cut: Partition | undefined;
  if (o.action.kind === 'partition') {
    const plan = realPartition(initial, target);
    if ('impossible' in plan)
      print(
        `partition: no real one here (${plan.impossible}); SIGSTOP stands in: ${target} neither sends nor receives, and serves no clients either`,
      );
    else cut = plan;
  }
  let isolated: IsolatedWriter | undefined;
  let violation: string | undefined;
  // A paused or cut-off member must never be left so, whatever happens to this command.
  let paused = false;
  let partitioned = false;
  const resume = () => {
    if (paused) signalGroup(pid, 'SIGCONT');
    paused = false;
    isolated?.stop();
    if (partitioned && cut) healPartition(cut.chain);
    partitioned = false;
  };
  // A write the cut-off member accepted is a bug to report, not an object to leave behind.
  const removeIsolatedProbe = () =>
    client
      .configMaps(ISOLATED_PROBE.namespace)
      .delete(ISOLATED_PROBE.name)
      .catch(() => undefined);
  const onInterrupt = () => {
    resume();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);

  const upRestarts = initial.restartPolicy === 'on-failure';
  try {
    if (kill) {
      if (!o.restart) {
        holdDown(
          dataDir,
          target,
          `flotilla chaos ${o.action.kind} --no-restart (pid ${process.pid}) asked for it`,
        );
      }
      signalGroup(pid, 'SIGKILL');
      note('fault', `killed ${target} (pid ${pid}, ${role}) with SIGKILL`);
    } else if (cut) {
      applyPartition(cut);
      partitioned = true;
      note(
        'fault',
        `partitioned ${target} (pid ${pid}, ${role}): nftables table inet ${CHAOS_TABLE} drops every packet between its Raft address ${cut.isolated.host} and ${cut.others.map((m) => `${m.name}'s ${m.host}`).join(', ')}; it runs on and serves its clients`,
      );
      isolated = startIsolatedWriter(
        initial.kubeconfig,
        target,
        ISOLATED_PROBE,
        (outcome, detail) => {
          if (outcome === 'accepted')
            violation = `a write through ${target} was accepted while it was cut off (${detail})`;
          note(
            'isolated',
            outcome === 'refused'
              ? `write through ${target} alone refused while cut off: ${detail}`
              : `write through ${target} alone ACCEPTED while cut off: ${detail} (it must not be)`,
          );
        },
      );
    } else {
      signalGroup(pid, 'SIGSTOP');
      paused = true;
      const what = o.action.kind === 'partition' ? 'partitioned (SIGSTOP stand-in)' : 'paused';
      note('fault', `${what} ${target} (pid ${pid}, ${role}) with SIGSTOP`);
    }
    const deadline = t0 + o.timeoutMs;
    const writes = startWriter(client, since, deadline, (atMs) =>
      emit({
        atMs,
        kind: 'write',
        text: `first successful write after the fault (ConfigMap ${PROBE.namespace}/${PROBE.name})`,
      }),
    );
    let state = initial;
    let finished = false;
    // Each master asked on its own, and the API on its own: a paused master delays no news.
    const watchers = [
      ...initial.members.map(async ({ name }) => {
        while (!finished && Date.now() < deadline) {
          const [row] = await masterSnapshots(state, SILENT_AFTER_MS, [name]);
          if (finished) return;
          for (const e of tracker.observeMasters([row], since())) emit(e);
          await sleep(RAFT_LOOK_EVERY_MS);
        }
      }),
      (async () => {
        while (!finished && Date.now() < deadline) {
          const views = await lookAtServices(client).catch(() => undefined);
          if (finished) return;
          if (views) for (const e of services.observe(views, since())) emit(e);
          await sleep(API_LOOK_EVERY_MS);
        }
      })(),
      (async () => {
        while (!finished && Date.now() < deadline) {
          const api = await apiSnapshot(client, false, Date.now).catch(() => undefined);
          if (finished) return;
          if (api) for (const e of tracker.observeApi(api, since(), t0)) emit(e);
          await sleep(API_LOOK_EVERY_MS);
        }
      })(),
    ];

    const resumeAt = 'seconds' in o.action ? t0 + o.action.seconds * 1000 : undefined;
    let back = false;
    let askedRestart = false;
    const missing = () => [
      ...stillMissing(tracker, role, writes.firstAt, back, kill && !o.restart),
      // A master kept down stays out of the kubernetes Service: that is not to wait for.
      ...(kill && !o.restart ? [] : services.notWhole().map((s) => `Service ${s} whole again`)),
    ];
    try {
      while (Date.now() < deadline) {
        if (resumeAt !== undefined && (paused || partitioned) && Date.now() >= resumeAt) {
          const wasCut = partitioned;
          const refused = isolated?.refused ?? 0;
          resume();
          note(
            'action',
            wasCut
              ? `healed: removed ${target}'s partition (${refused} write(s) through it refused while cut off, ${isolated?.accepted ?? 0} accepted)`
              : `resumed ${target} with SIGCONT`,
          );
          back = true;
          tracker.targetBack();
        }
        if (violation) return { recovered: false, events, missing: [violation] };
        // flotilla up restarts a killed master by itself (its restart policy); an `up` without
        // one is asked to, once failover is over.
        if (
          kill &&
          !askedRestart &&
          o.restart &&
          !upRestarts &&
          failoverDone(tracker, role, writes.firstAt, since())
        ) {
          askedRestart = true;
          signalGroup(initial.supervisorPid, 'SIGHUP', false);
          note(
            'action',
            `asked flotilla up (pid ${initial.supervisorPid}) to start ${target} again (SIGHUP)`,
          );
        }
        state = readClusterState(dataDir);
        const now = state.members.find((m) => m.name === target);
        if (kill && !back && now?.pid && now.pid !== pid) {
          back = true;
          tracker.targetBack();
          note('action', `${target} started again (pid ${now.pid})`);
        }
        if (missing().length === 0) {
          const whole = services.stayedWhole();
          if (whole.length > 0)
            note('service', `Services whole throughout (ready endpoints): ${whole.join(', ')}`);
          const line = backLine(tracker);
          if (line) print(line);
          return { recovered: true, events, missing: [] };
        }
        await sleep(CONTROL_EVERY_MS);
      }
      return { recovered: false, events, missing: missing() };
    } finally {
      finished = true;
      writes.stop();
      await Promise.all(watchers);
    }
  } finally {
    resume();
    if (violation) await removeIsolatedProbe();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** The partition of target by address, or why this machine or cluster cannot have one. */
function realPartition(state: ClusterState, target: string): Partition | { impossible: string } {
  const unavailable = firewallUnavailable();
  if (unavailable) return { impossible: unavailable };
  return planPartition(
    state.members.map((m) => ({ name: m.name, host: m.peerHost ?? state.host, port: m.peerPort })),
    target,
  );
}

/** `m1 back as follower at +9.8 s, caught up at +10.1 s`: how long the target was out. */
function backLine(t: FailoverTracker): string | undefined {
  const back = t.backAs;
  const caught = t.rejoinedAtMs;
  if (!back || caught === undefined) return undefined;
  const s = (ms: number) => `+${(ms / 1000).toFixed(1)} s`;
  return `${t.target} back as ${back.role} at ${s(back.atMs)}, caught up at ${s(caught)}`;
}

function pickTarget(state: ClusterState, before: ClusterSnapshot, o: ChaosOptions): string {
  if ('member' in o.action) {
    const name = o.action.member;
    if (!state.members.some((m) => m.name === name)) {
      throw new ConfigError(
        `no master ${JSON.stringify(name)} (have ${state.members.map((m) => m.name).join(', ')})`,
      );
    }
    return name;
  }
  const leader = before.masters.find((m) => m.role === 'leader');
  if (!leader) throw new ConfigError('no Raft leader right now (an election is on?); try again');
  return leader.name;
}

function describeBefore(s: ClusterSnapshot): string {
  const leader = s.masters.find((m) => m.role === 'leader');
  const parts = [
    leader ? `Raft leader ${leader.name} (term ${leader.term})` : 'no Raft leader',
    ...(s.leases ?? []).map((l) => `${l.lease} held by ${l.expired ? 'nobody' : l.holder}`),
  ];
  if (s.nodes) {
    const ready = s.nodes.filter((n) => n.ready === 'True').length;
    parts.push(`nodes ${ready} Ready / ${s.nodes.length}`);
  }
  return `before: ${parts.join('; ')}`;
}

/** Raft has a leader other than a killed one, the Leases left it, and a write went through. */
function failoverDone(
  t: FailoverTracker,
  role: string,
  firstWrite: number | undefined,
  sinceMs: number,
): boolean {
  if (sinceMs >= RESTART_AFTER_MS) return true;
  const raftDone = role !== 'leader' || (t.newLeader !== undefined && t.newLeader !== t.target);
  return raftDone && t.leasesStillOnTarget().length === 0 && firstWrite !== undefined;
}

function stillMissing(
  t: FailoverTracker,
  role: string,
  firstWrite: number | undefined,
  back: boolean,
  staysDown: boolean,
): string[] {
  const missing: string[] = [];
  if (role === 'leader' && t.newLeader === undefined) missing.push('a new Raft leader');
  if (staysDown) {
    for (const lease of t.leasesStillOnTarget()) missing.push(`a new holder of ${lease}`);
  } else {
    for (const lease of COMPONENT_LEASES) {
      if (t.holderOf(lease) === undefined) missing.push(`a holder of ${lease}`);
    }
  }
  if (firstWrite === undefined) missing.push('a successful write');
  if (!staysDown && !back) missing.push(`${t.target} back`);
  if (!staysDown && !t.rejoined) missing.push(`${t.target} rejoined and caught up`);
  return missing;
}

/**
 * Writes to the probe ConfigMap every WRITE_EVERY_MS, a few at once, so one request stuck on a
 * dead master does not hide the moment writes go through again.
 */
function startWriter(
  client: KubeClient,
  since: () => number,
  deadline: number,
  onFirst: (atMs: number) => void,
): { readonly firstAt: number | undefined; stop(): void } {
  let firstAt: number | undefined;
  let stopped = false;
  let inFlight = 0;
  const configMaps = client.configMaps(PROBE.namespace);
  const attempt = () => {
    inFlight++;
    configMaps
      .patch(PROBE.name, { data: { at: new Date().toISOString() } }, 'merge')
      .then(() => {
        if (firstAt === undefined && !stopped) {
          firstAt = since();
          onFirst(firstAt);
        }
      })
      .catch(() => undefined)
      .finally(() => inFlight--);
  };
  const timer = setInterval(() => {
    if (stopped || firstAt !== undefined || Date.now() > deadline) return clearInterval(timer);
    if (inFlight < WRITES_IN_FLIGHT) attempt();
  }, WRITE_EVERY_MS);
  attempt();
  return {
    get firstAt() {
      return firstAt;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

async function ensureProbe(client: KubeClient): Promise<void> {
  try {
    await client.configMaps(PROBE.namespace).create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PROBE.name, namespace: PROBE.namespace },
      data: { purpose: 'flotilla chaos writes here to time the first write after a fault' },
    });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) {
      throw new Error(`the cluster does not take writes before the fault: ${String(err)}`);
    }
  }
}

/** The member's whole process group (it leads one), else the process alone. */
function signalGroup(pid: number, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already: the timeline shows it.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
