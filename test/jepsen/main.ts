// npm run test:jepsen  - the full schedule against Flotilla; exit 1 on any problem.
// npm run bench:jepsen - the same schedule against Flotilla and etcd 3.4, availability side by
//                        side (a printed figure; only Flotilla's problems fail the run).
//
// Flags: --system flotilla|etcd|both, --schedule short|full, --seed N, --build sources|dist,
//        --keep (keep data, logs and histories of clean runs too).
import { SCHEDULES } from './nemesis/schedule';
import { formatComparison, formatRun } from './report';
import { JepsenResult, runJepsen } from './run-jepsen';
import type { SystemName } from './systems/cluster';
import type { FlotillaBuild } from './systems/flotilla';

interface Args {
  systems: SystemName[];
  schedule: string;
  seed: number;
  build: FlotillaBuild;
  keep: boolean;
}

const USAGE =
  'usage: tsx test/jepsen/main.ts [--system flotilla|etcd|both] [--schedule short|full] ' +
  '[--seed N] [--build sources|dist] [--keep]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    systems: ['flotilla'],
    schedule: 'full',
    seed: Date.now() % 1_000_000,
    build: 'sources',
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--system': {
        const v = value();
        if (v === 'both') args.systems = ['flotilla', 'etcd'];
        else if (v === 'flotilla' || v === 'etcd') args.systems = [v];
        else throw new Error(`--system: ${v} is not flotilla, etcd or both`);
        break;
      }
      case '--schedule':
        args.schedule = value();
        if (!SCHEDULES[args.schedule]) {
          throw new Error(
            `--schedule: ${args.schedule} is not one of ${Object.keys(SCHEDULES).join(', ')}`,
          );
        }
        break;
      case '--seed':
        args.seed = Number(value());
        if (!Number.isSafeInteger(args.seed) || args.seed < 0)
          throw new Error('--seed: not a non-negative integer');
        break;
      case '--build': {
        const v = value();
        if (v !== 'sources' && v !== 'dist')
          throw new Error(`--build: ${v} is not sources or dist`);
        args.build = v;
        break;
      }
      case '--keep':
        args.keep = true;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  // Ctrl-C: leave through process.exit so the exit hooks kill the members and delete the namespaces.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => process.exit(130));
  const results: JepsenResult[] = [];
  for (const system of args.systems) {
    const result = await runJepsen({
      system,
      schedule: SCHEDULES[args.schedule],
      seed: args.seed,
      build: args.build,
      keep: args.keep,
    });
    console.log(formatRun(result));
    results.push(result);
  }
  if (results.length === 2) console.log(`\n${formatComparison(results[0], results[1])}`);
  let failed = false;
  for (const r of results) {
    const problems = r.problems;
    if (problems.length === 0) {
      console.log(`${r.system}: no problems`);
      continue;
    }
    console.log(
      `${r.system}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p.message}`).join('\n')}`,
    );
    // etcd is the reference here: its figures are reported, only Flotilla's fail the run.
    if (r.system === 'flotilla' || problems.some((p) => p.what === 'history')) failed = true;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  },
);
