import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, settingError } from '@flotilla/process';
import {
  DEFAULT_RESTART_POLICY,
  MemberSupervisor,
  SupervisorEvent,
} from '../supervisor/member-supervisor';
import { heldDownReason, releaseHolds } from '../cluster-state/keep-down';
import { childProcessSpawner } from '../supervisor/child-process-spawner';
import { realTimers } from '../supervisor/spawner';
import { waitForApi } from '../up/api-ready';
import { parseConsoleCommand } from '../up/console-commands';
import { describeEvent, memberPrefixer, planTable, statusTable } from '../up/console-output';
import { MemberPlan, planMembers, plannedPorts } from '../up/member-plan';
import { findBusyPort } from '../up/port-probe';
import { renderKubeconfig } from '../up/kubeconfig';
import { adminKubeconfigTls } from '../up/admin-credentials';
import { clusterPkiPlan } from '../up/cluster-pki-plan';
import { ensureClusterPki } from '@flotilla/pki';
import { clusterRecorder } from '../up/cluster-record';
import { ensureAuditPolicy } from '../up/default-audit-policy';
import { ClusterNodes } from '../up/cluster-nodes';
import { dropServerCertsNotNaming } from '../up/pki-hosts';
import { defaultAgentCommand, isRoot } from '../up/worker-plan';
import {
  UpOptions,
  checkEntryExists,
  defaultControlPlaneEntry,
  parseUpOptions,
  upUsage,
} from '../up/up-options';
import type { CliContext } from './cli-context';
import { firewallUnavailable, healPartition } from '../chaos/partition-firewall';
import { partitionChain } from '../chaos/partition-rules';

export async function upCommand(argv: readonly string[], context: CliContext): Promise<void> {
  const parsed = parseUpOptions(argv, {
    cwd: process.cwd(),
    defaultEntry: defaultControlPlaneEntry(context.cliFile, context.cliDir),
    isRoot: isRoot(),
  });
  if (parsed.help) {
    process.stdout.write(upUsage());
    return;
  }
  const options = parsed.options;
  checkEntryExists(options.controlPlaneEntry, existsSync);
  const pkiDir = options.insecure ? undefined : join(options.dataDir, 'pki');
  const plans = planMembers(options, process.execPath, pkiDir);
  const say = (line: string) => process.stdout.write(`flotilla: ${line}\n`);
  for (const note of options.notes) say(note);
  let recordChange = () => {};
  const nodes = new ClusterNodes({
    workers: options.workers,
    hollowNodes: options.hollowNodes,
    dataDir: options.dataDir,
    agentCommand: defaultAgentCommand(process.execPath, context.cliFile, context.cliDir),
    serviceCidr: options.serviceCidr,
    say,
    changed: () => recordChange(),
  });
  // A partition `flotilla chaos` left (killed before it healed) must not outlive it.
  const clearPartition = (when: string) => {
    if (firewallUnavailable()) return;
    try {
      if (healPartition(partitionChain(plans.map((p) => ({ port: p.peerPort })))))
        say(`${when}: removed a partition flotilla chaos had left in nftables`);
    } catch (err) {
      say(`${when}: cannot remove the chaos partition: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  // The workers' fabric first: the masters listen on it.
  try {
    await nodes.prepare();
    await checkPortsFree(options, plans);
  } catch (err) {
    await nodes.stop();
    throw err;
  }
  // Only now that the ports are ours: the chain is named after them.
  clearPartition('before start');
  if (pkiDir) {
    // A directory made for another listen host (no workers before) gets serving certificates
    // that name this one, from the same CA.
    dropServerCertsNotNaming(
      pkiDir,
      options.listenHost,
      plans.map((p) => p.name),
    );
    await ensureClusterPki(pkiDir, clusterPkiPlan(options));
    mkdirSync(options.dataDir, { recursive: true });
    ensureAuditPolicy(options.dataDir);
  }

  process.stdout.write(`${planTable(plans, options.listenHost, pkiDir ? 'https' : 'http')}\n`);
  if (pkiDir) say(`certificates: ${pkiDir} (flotilla certs --help)`);
  say('type "help" for commands; Ctrl-C stops every member');
  const kubeconfig = join(options.dataDir, 'kubeconfig');
  mkdirSync(options.dataDir, { recursive: true });
  writeFileSync(
    kubeconfig,
    renderKubeconfig(plans, options.listenHost, pkiDir ? adminKubeconfigTls(pkiDir) : undefined),
    {
      mode: 0o600,
    },
  );
  say(`kubeconfig: KUBECONFIG=${kubeconfig} kubectl get ns`);

  const prefix = memberPrefixer(
    plans.map((p) => p.name),
    process.stdout.isTTY === true && !process.env.NO_COLOR,
  );
  const report = (event: SupervisorEvent) => {
    if (event.kind === 'started' || event.kind === 'exited') recordChange();
    if (event.kind === 'output') {
      const out = event.stream === 'stdout' ? process.stdout : process.stderr;
      out.write(`${prefix(event.name, event.line)}\n`);
      return;
    }
    const text = describeEvent(event);
    if (text) say(text);
  };
  // Holds a crashed run's chaos drill left are not this run's.
  releaseHolds(options.dataDir);
  const supervisor = new MemberSupervisor(
    plans.map((p) => ({ name: p.name, process: p.process })),
    {
      spawner: childProcessSpawner,
      timers: realTimers,
      graceMs: options.stopTimeoutMs,
      report,
      ...(options.restartMembers ? { restart: DEFAULT_RESTART_POLICY } : {}),
      keepDown: (name) => heldDownReason(options.dataDir, name),
    },
  );
  // DATA/cluster.json: how `flotilla status` and `flotilla chaos` find this cluster.
  const record = clusterRecorder(
    {
      dataDir: options.dataDir,
      kubeconfig,
      listenHost: options.listenHost,
      scheme: pkiDir ? 'https' : 'http',
      plans,
      supervisorPid: process.pid,
      restartPolicy: options.restartMembers ? 'on-failure' : 'no',
    },
    () => supervisor.status(),
    () => nodes.records(),
  );
  recordChange = () => record.update();

  let stopping = false;
  const finished = new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        say(`${signal} again: killing every member now`);
        supervisor.killAll();
        return;
      }
      stopping = true;
      say(`${signal}: stopping the nodes, then every member`);
      void nodes
        .stop()
        .catch((err: Error) => say(`stopping the nodes: ${err.message}`))
        .then(() => supervisor.stopAll())
        .then(() => clearPartition('on stop'))
        .then(resolve);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    process.on('SIGHUP', () => {
      if (stopping) return;
      releaseHolds(options.dataDir);
      const started = supervisor.startStopped();
      say(
        started.length > 0
          ? `SIGHUP: starting ${started.join(', ')}`
          : 'SIGHUP: every master runs; starting any worker that does not',
      );
      void nodes.restartStopped();
    });
    readConsole(supervisor, plans, options.dataDir, say, () => stopping);
  });

  supervisor.startAll();
  void waitForApi(kubeconfig, {
    timeoutMs: 120_000,
    intervalMs: 250,
    stopped: () => stopping,
  }).then((names) => {
    if (names) {
      say(`Kubernetes API ready: namespaces ${names.join(', ')}`);
      if (!stopping) void nodes.start(kubeconfig);
    } else if (!stopping) say('the Kubernetes API did not answer within 120 s');
  });
  await finished;
  record.remove();
  say('all members stopped');
}

/** Commands typed on stdin. End of input is not a request to stop: `flotilla up </dev/null &` works. */
function readConsole(
  supervisor: MemberSupervisor,
  plans: MemberPlan[],
  dataDir: string,
  say: (line: string) => void,
  isStopping: () => boolean,
): void {
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    if (isStopping()) return;
    const command = parseConsoleCommand(line, supervisor.names());
    switch (command.kind) {
      case 'empty':
        return;
      case 'invalid':
        return say(command.message);
      case 'help':
        return say('commands: status | start <member> | stop <member> | restart <member> | help');
      case 'status':
        return process.stdout.write(`${statusTable(supervisor.status(), plans)}\n`);
      case 'start':
        releaseHolds(dataDir, [command.member]);
        if (!supervisor.start(command.member)) say(`${command.member} is already running`);
        return;
      case 'stop':
        say(`stopping ${command.member}`);
        void supervisor.stop(command.member);
        return;
      case 'restart':
        say(`restarting ${command.member}`);
        void supervisor.restart(command.member);
        return;
    }
  });
  // Let the process exit once the supervisor is done, even with a terminal on stdin.
  process.stdin.unref?.();
}

async function checkPortsFree(options: UpOptions, plans: MemberPlan[]): Promise<void> {
  const busy = await findBusyPort(options.listenHost, plannedPorts(plans));
  if (!busy) return;
  const { port, who } = busy.entry;
  if (busy.code === 'EADDRINUSE') {
    const role = who.split(' ')[1];
    throw settingError(
      `--base-${role}-port`,
      `port ${port} (${who}) on ${options.listenHost} is already in use`,
    );
  }
  if (busy.code === 'EADDRNOTAVAIL') {
    throw settingError('--listen-host', `${options.listenHost} is not an address of this machine`);
  }
  throw new ConfigError(`cannot listen on ${options.listenHost}:${port} (${who}): ${busy.code}`);
}
