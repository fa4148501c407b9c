import type { ExitStatus } from '../supervisor/spawner';
import type { MemberStatus, SupervisorEvent } from '../supervisor/member-supervisor';
import type { MemberPlan } from './member-plan';

const COLOURS = [36, 35, 33, 32, 34, 31, 37]; // cyan, magenta, yellow, green, blue, red, white

/** `m1 | <line>`, the names padded to one width, each member in its own colour on a terminal. */
export function memberPrefixer(names: readonly string[], colour: boolean) {
  const width = Math.max(...names.map((n) => n.length));
  return (name: string, line: string): string => {
    const label = name.padEnd(width);
    if (!colour) return `${label} | ${line}`;
    const code = COLOURS[Math.max(0, names.indexOf(name)) % COLOURS.length];
    return `\x1b[${code}m${label} |\x1b[0m ${line}`;
  };
}

export function describeExit(exit: ExitStatus): string {
  if (exit.error) return `could not start: ${exit.error}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** The supervisor's own remarks (member output is printed by the caller). */
export function describeEvent(event: SupervisorEvent): string | undefined {
  switch (event.kind) {
    case 'started':
      return `${event.name} started (pid ${event.pid ?? '?'})`;
    case 'exited':
      if (event.expected) return `${event.name} stopped (${describeExit(event.exit)})`;
      if (event.restartInMs !== undefined)
        return `${event.name} ${describeExit(event.exit)}; restarting it in ${event.restartInMs / 1000} s (restart policy, as compose's on-failure; flotilla up --no-restart keeps members down)`;
      return `${event.name} ${describeExit(event.exit)}; ${event.keptDown ? `kept down: ${event.keptDown}; ` : ''}the others keep running ("start ${event.name}" or SIGHUP to bring it back)`;
    case 'kept-down':
      return `${event.name} kept down: ${event.reason} ("start ${event.name}" or SIGHUP to bring it back)`;
    case 'killing':
      return `${event.name} still running ${event.afterMs / 1000}s after SIGTERM; sending SIGKILL`;
    case 'output':
      return undefined;
  }
}

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function planTable(plans: readonly MemberPlan[], host: string, scheme = 'http'): string {
  return formatTable([
    ['MEMBER', 'API', 'ETCD', 'PEER', 'DATA'],
    ...plans.map((p) => [
      p.name,
      `${scheme}://${host}:${p.apiPort}`,
      `${host}:${p.etcdPort}`,
      `${p.peerHost}:${p.peerPort}`,
      p.dataDir,
    ]),
  ]);
}

export function statusTable(
  statuses: readonly MemberStatus[],
  plans: readonly MemberPlan[],
): string {
  return formatTable([
    ['MEMBER', 'STATE', 'PID', 'API', 'LAST EXIT'],
    ...statuses.map((s) => {
      const plan = plans.find((p) => p.name === s.name);
      return [
        s.name,
        s.state,
        s.pid === undefined ? '-' : String(s.pid),
        plan ? String(plan.apiPort) : '-',
        s.lastExit ? describeExit(s.lastExit) : '-',
      ];
    }),
  ]);
}
