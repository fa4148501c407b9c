import { resolve } from 'node:path';
import { connectFromKubeconfig } from '@flotilla/client';
import { HollowFleet } from '../hollow-nodes/hollow-fleet';
import { hollowUsage, parseHollowOptions } from '../hollow-nodes/hollow-options';
import type { CliContext } from './cli-context';

/** `flotilla hollow-nodes`: in the foreground until Ctrl-C (or SIGTERM), then removes its nodes. */
export async function hollowNodesCommand(
  argv: readonly string[],
  _context: CliContext,
): Promise<void> {
  const parsed = parseHollowOptions(argv, process.env);
  if ('help' in parsed) {
    process.stdout.write(hollowUsage());
    return;
  }
  const { client } = connectFromKubeconfig({
    kubeconfig: resolve(parsed.kubeconfig),
    component: 'hollow-nodes',
    rateLimit: false,
  });
  const say = (message: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(
      `${[message, ...Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`)].join(' ')}\n`,
    );
  const fleet = new HollowFleet(client, parsed, (m, f) => say(m, f));
  const t0 = Date.now();
  const signalled = new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await fleet.start();
  say(`${parsed.count} hollow nodes ready`, {
    prefix: parsed.namePrefix,
    seconds: ((Date.now() - t0) / 1000).toFixed(1),
  });
  const signal = await signalled;
  say(`${signal}: removing the hollow nodes`);
  await fleet.stop();
  client.close();
  say('hollow nodes removed');
}
