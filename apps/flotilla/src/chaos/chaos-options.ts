import {
  ConfigError,
  formatUsage,
  integerValue,
  optionalValue,
  readSettings,
} from '@flotilla/process';
import { DATA_DIR_OPTION } from '../observe/local-cluster';

export type ChaosAction =
  | { kind: 'kill-leader' }
  | { kind: 'kill-master'; member: string }
  | { kind: 'pause-leader'; seconds: number }
  | { kind: 'partition'; member: string; seconds: number }
  | { kind: 'kill-worker'; worker: string }
  | { kind: 'stop-worker'; worker: string };

export function isWorkerAction(
  a: ChaosAction,
): a is Extract<ChaosAction, { kind: 'kill-worker' | 'stop-worker' }> {
  return a.kind === 'kill-worker' || a.kind === 'stop-worker';
}

export interface ChaosOptions {
  action: ChaosAction;
  dataDir: string | undefined;
  /** Bound on the whole run, from the fault to the target's rejoining. */
  timeoutMs: number;
  /** After a kill: ask `flotilla up` to start the member (or worker) again (SIGHUP) once failover is done. */
  restart: boolean;
}

const OPTIONS = [
  DATA_DIR_OPTION,
  {
    flag: 'timeout',
    valueName: 'SECONDS',
    description: 'give up (exit code 1) when the cluster has not recovered by then',
    defaultText: '90; 420 for a worker (pods tolerate an unreachable node 300 s)',
  },
  {
    flag: 'no-restart',
    boolean: true,
    description:
      'after a kill, leave the member or worker down for a drill (default: flotilla up starts it again); "start NAME" on flotilla up\'s console or SIGHUP to it brings it back',
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export function chaosUsage(): string {
  return `${formatUsage(
    'flotilla chaos ACTION [options]',
    `Injects one fault into the local cluster \`flotilla up\` runs and prints what follows, in ms
after the fault: the Raft election (old and new leader), the scheduler and controller-manager
Lease takeovers (which master), nodes going NotReady, the first successful write, and the
target coming back and catching up ("m1 back as follower at +X s, caught up at +Y s"), and
the Services converging: endpoints on a failed worker dropped, each Service whole again.

Actions:
  kill-leader              SIGKILL the Raft leader; flotilla up's restart policy starts it
                           again after a short back-off (--no-restart: it stays down)
  kill-master NAME         SIGKILL that master; restarted the same way
  pause-leader SECONDS     SIGSTOP the Raft leader, SIGCONT after SECONDS
  partition NAME SECONDS   cut NAME off from the other masters for SECONDS: an nftables table
                           (inet flotilla-chaos) drops every packet between NAME's own Raft
                           address (127.0.10.N) and theirs, then goes. NAME runs on and serves
                           its clients, but refuses writes (no quorum); a leader steps down.
                           Not root: SIGSTOP/SIGCONT stands in (NAME serves no clients then)
  kill-worker NAME         SIGKILL everything in real worker NAME's network namespace (node
                           agent, containerd, its pods): the node goes NotReady, its pods are
                           evicted after their toleration and run again on other nodes
  stop-worker NAME         stop NAME's node agent (SIGTERM): its pods run on unreported, the
                           node goes NotReady, and the same eviction follows
After a worker action flotilla up starts the worker again (SIGHUP) and the timeline ends
with its node Ready again.`,
    OPTIONS,
  )}Exit codes: 0 recovered, 1 not recovered within --timeout, 2 usage error or no local cluster.
`;
}

export type ParsedChaos = { help: true } | { help: false; options: ChaosOptions };

export function parseChaosOptions(argv: readonly string[]): ParsedChaos {
  const isPositional = argv.map((a, i) => !a.startsWith('-') && !takesValue(argv[i - 1]));
  const positional = argv.filter((_, i) => isPositional[i]);
  const flags = argv.filter((_, i) => !isPositional[i]);
  const settings = readSettings(OPTIONS, flags, {});
  if (settings.has('help')) return { help: true };
  const action = parseAction(positional);
  return {
    help: false,
    options: {
      action,
      dataDir: settings.get('data-dir')?.value,
      timeoutMs:
        (optionalValue(settings.get('timeout'), (s) => integerValue(s, 1, 3600)) ??
          (isWorkerAction(action) ? 420 : 90)) * 1000,
      restart: !settings.has('no-restart'),
    },
  };
}

function takesValue(previous: string | undefined): boolean {
  return previous === '--data-dir' || previous === '--timeout';
}

function parseAction(words: readonly string[]): ChaosAction {
  const [verb, ...rest] = words;
  const arity = (n: number, usage: string) => {
    if (rest.length !== n) throw new ConfigError(`usage: flotilla chaos ${verb} ${usage}`.trim());
  };
  switch (verb) {
    case undefined:
      throw new ConfigError(
        'missing action: kill-leader, kill-master NAME, pause-leader SECONDS, partition NAME SECONDS, kill-worker NAME or stop-worker NAME',
      );
    case 'kill-leader':
      arity(0, '');
      return { kind: verb };
    case 'kill-master':
      arity(1, 'NAME');
      return { kind: verb, member: rest[0] };
    case 'pause-leader':
      arity(1, 'SECONDS');
      return { kind: verb, seconds: seconds(rest[0]) };
    case 'partition':
      arity(2, 'NAME SECONDS');
      return { kind: verb, member: rest[0], seconds: seconds(rest[1]) };
    case 'kill-worker':
    case 'stop-worker':
      arity(1, 'NAME');
      return { kind: verb, worker: rest[0] };
    default:
      throw new ConfigError(`unknown action ${JSON.stringify(verb)} (see flotilla chaos --help)`);
  }
}

function seconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n <= 0 || n > 600) {
    throw new ConfigError(
      `SECONDS: ${JSON.stringify(text)} is not a number of seconds from 0 to 600`,
    );
  }
  return n;
}
