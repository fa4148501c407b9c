import { formatUsage, oneOfValue, optionalValue, readSettings } from '@flotilla/process';
import { DATA_DIR_OPTION, openLocalCluster } from '../observe/local-cluster';
import { takeSnapshot } from '../observe/cluster-snapshot';
import { formatStatus } from '../observe/status-format';
import type { CliContext } from './cli-context';

const OPTIONS = [
  DATA_DIR_OPTION,
  {
    flag: 'output',
    short: 'o',
    valueName: 'FORMAT',
    description: 'table or json',
    defaultText: 'table',
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export async function statusCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  const settings = readSettings(OPTIONS, argv, {});
  if (settings.has('help')) {
    process.stdout.write(
      formatUsage(
        'flotilla status [--data-dir DIR] [-o json]',
        'Shows the local cluster `flotilla up` runs: each master with its Raft role, term and\ncommit index (down when it does not answer), which master holds each component Lease and\nsince when, the nodes with their readiness and pods.',
        OPTIONS,
      ),
    );
    return;
  }
  const output =
    optionalValue(settings.get('output'), (s) => oneOfValue(s, ['table', 'json'] as const)) ??
    'table';
  const { state, client } = openLocalCluster(settings.get('data-dir')?.value);
  try {
    const snapshot = await takeSnapshot(state, client, { etcdTimeoutMs: 2000, pods: true });
    process.stdout.write(
      output === 'json'
        ? `${JSON.stringify(snapshot, null, 2)}\n`
        : formatStatus(snapshot, Date.now()),
    );
    if (snapshot.masters.every((m) => m.role === 'down')) throw new Error('no master answered');
  } finally {
    client.close();
  }
}
