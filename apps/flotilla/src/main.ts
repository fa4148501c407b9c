import { ConfigError, runMain } from '@flotilla/process';
// The file, not the package index: the CLI should not load prom-client just to print a version.
import { FLOTILLA_VERSION } from '@flotilla/observability';
import type { CliContext } from './commands/cli-context';
import { certsCommand } from './commands/certs.command';
import { chaosCommand } from './commands/chaos.command';
import { hollowNodesCommand } from './commands/hollow-nodes.command';
import { imagesCommand } from './commands/images.command';
import { membersCommand } from './commands/members.command';
import { statusCommand } from './commands/status.command';
import { upCommand } from './commands/up.command';

interface Command {
  summary: string;
  run(argv: readonly string[], context: CliContext): Promise<void>;
}

// One entry per subcommand, one file each under commands/ .
const COMMANDS: Record<string, Command> = {
  up: { summary: 'run a local HA cluster of control-plane processes', run: upCommand },
  members: {
    summary: 'list the members with the leader, term, commit and applied index',
    run: membersCommand,
  },
  certs: {
    summary: "make the cluster's certificates (init), rotate them, or issue one for a user or node",
    run: certsCommand,
  },
  status: {
    summary: 'the local cluster: Raft roles, component Lease holders, nodes and their pods',
    run: statusCommand,
  },
  chaos: {
    summary: 'kill or pause a master or worker of the local cluster and print the timeline',
    run: chaosCommand,
  },
  'hollow-nodes': {
    summary: 'register N hollow nodes and play their kubelets (scale tests, no root)',
    run: hollowNodesCommand,
  },
  images: {
    summary: 'build the worker images, or load an image archive into the local registry',
    run: imagesCommand,
  },
};

const USAGE = `Usage: flotilla <command> [options]

Operate a Flotilla cluster.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
  .join('\n')}

Options:
  -h, --help  show this help; "flotilla <command> --help" for a command's options
  --version   print the version
`;

// grpc-js names the etcd port's TLS server by the endpoint, often an IP (the certificates carry
// IP SANs, which is what gets checked); Node then warns (DEP0123) on every connection.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((...args: unknown[]) => {
  const [, second, third] = args;
  const code =
    typeof second === 'object' && second !== null ? (second as { code?: string }).code : third;
  if (code !== 'DEP0123') emitWarning(...args);
}) as typeof process.emitWarning;

const [name, ...rest] = process.argv.slice(2);
const command = name === undefined ? undefined : COMMANDS[name];
const context: CliContext = { cliFile: __filename, cliDir: __dirname };

runMain(command ? `flotilla ${name}` : 'flotilla', async () => {
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
  } else if (name === '--version') {
    process.stdout.write(`flotilla ${FLOTILLA_VERSION}\n`);
  } else if (name === undefined) {
    throw new ConfigError('missing command (see flotilla --help)');
  } else if (!command) {
    throw new ConfigError(`unknown command ${JSON.stringify(name)} (see flotilla --help)`);
  } else {
    await command.run(rest, context);
  }
  // Stray handles (stdin, timers) must not keep a finished command alive.
  process.exit(0);
});
