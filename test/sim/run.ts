import { runCore } from './core/run-core';
import { runDriver } from './driver/run-driver';

/**
 * npm run sim -- --seeds N [--from S] [--store model|mvcc|both]   the driver simulation: real
 *                                                                 RaftNode, real store (mvcc)
 * npm run sim -- --seed S [--store model|mvcc] [--trace]          replay one seed exactly
 * npm run sim -- --core [--seeds N | --seed S --trace] ...        the pure-core simulation
 */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.core === 'true') return runCore(args);
  return runDriver(args);
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[name] = 'true';
    else {
      out[name] = next;
      i++;
    }
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`sim: ${e.message}`);
    process.exitCode = 2;
  },
);
