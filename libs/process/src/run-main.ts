import { ConfigError } from './config-error';

/**
 * The outermost frame of every entry point: a failure becomes exactly one line on stderr,
 * `<program>: <what went wrong>`, and exit status 2 for bad input, 1 for anything else.
 */
export function runMain(program: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message =
      typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
    process.stderr.write(`${program}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    // Exit now: a half-started server or timer must not keep a failed process alive.
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
}
