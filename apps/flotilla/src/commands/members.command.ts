import { ConfigError } from '@flotilla/process';
import { memberStatus } from '../members/etcd-status-client';
import type { CliContext } from './cli-context';

const DEFAULT_ENDPOINTS = '127.0.0.1:2379,127.0.0.1:2479,127.0.0.1:2579';

const USAGE = `Usage: flotilla members [--endpoints host:port,...]

Lists the members of a running cluster with the leader, Raft term, commit and applied index,
as each member reports them over its etcd API.

Options:
  --endpoints LIST  etcd API endpoints to ask (default ${DEFAULT_ENDPOINTS})
  -h, --help        show this help
`;

export async function membersCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  let endpoints = DEFAULT_ENDPOINTS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return;
    }
    if (a === '--endpoints' || a.startsWith('--endpoints=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!value) throw new ConfigError('--endpoints: missing value');
      endpoints = value;
      continue;
    }
    throw new ConfigError(`unknown option ${JSON.stringify(a)} (see flotilla members --help)`);
  }
  const list = endpoints
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError('--endpoints: empty list');
  const rows = await memberStatus(list);
  const table = [
    ['NAME', 'ID', 'ENDPOINT', 'LEADER', 'TERM', 'COMMIT', 'APPLIED'],
    ...rows.map((r) =>
      r.error
        ? [r.name, r.id, r.endpoint, 'unreachable', '-', '-', '-']
        : [r.name, r.id, r.endpoint, r.isLeader ? '*' : '', r.term, r.commit, r.applied],
    ),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table)
    process.stdout.write(
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd() + '\n',
    );
  if (rows.every((r) => r.error)) throw new Error('no member answered');
}
