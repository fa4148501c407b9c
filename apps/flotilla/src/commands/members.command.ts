import { ConfigError } from '@flotilla/process';
import { defaultEndpoints, LOOPBACK_ENDPOINTS } from '../members/default-endpoints';
import { changeMembers, memberStatus } from '../members/etcd-status-client';
import type { CliContext } from './cli-context';

const USAGE = `Usage: flotilla members [--endpoints host:port,...]
       flotilla members add NAME --peer-url http://host:port [--learner]
       flotilla members promote NAME
       flotilla members remove NAME

Lists the members of a running cluster with the leader, Raft term, commit and applied index,
as each member reports them over its etcd API; or changes the membership, one change at a time.
After "add", start the new member with --name NAME, its --peer-port, --peers listing every member
and itself, and --initial-cluster-state existing; it joins and catches up, then "promote" it.

Options:
  --endpoints LIST  etcd API endpoints to ask (default: those of the cluster \`flotilla up\` runs
                    from ./data, else ${LOOPBACK_ENDPOINTS})
  -h, --help        show this help
`;

export async function membersCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  let endpoints: string | undefined;
  const positional: string[] = [];
  let peerUrl: string | undefined;
  let learner = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    if (a === '--learner') {
      learner = true;
      continue;
    }
    if (a === '--peer-url' || a.startsWith('--peer-url=')) {
      peerUrl = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!peerUrl) throw new ConfigError('--peer-url: missing value');
      continue;
    }
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
  const list = (endpoints ?? defaultEndpoints())
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError('--endpoints: empty list');
  if (positional.length > 0) {
    await change(list, positional, peerUrl, learner);
    return;
  }
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

async function change(
  endpoints: string[],
  positional: string[],
  peerUrl: string | undefined,
  learner: boolean,
): Promise<void> {
  const [verb, name, ...extra] = positional;
  if (!['add', 'remove', 'promote'].includes(verb))
    throw new ConfigError(
      `unknown subcommand ${JSON.stringify(verb)} (see flotilla members --help)`,
    );
  if (!name || extra.length > 0)
    throw new ConfigError(`members ${verb} takes exactly one member name`);
  if (verb === 'add' && !peerUrl)
    throw new ConfigError('members add needs --peer-url http://host:port');
  const members =
    verb === 'add'
      ? await changeMembers(endpoints, { kind: 'add', name, peerUrl: peerUrl!, learner })
      : await changeMembers(endpoints, { kind: verb as 'remove' | 'promote', name });
  const done = { add: 'added', remove: 'removed', promote: 'promoted' }[verb];
  process.stdout.write(
    `member ${name} ${done}; members now: ${members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).join(', ')}\n`,
  );
}
