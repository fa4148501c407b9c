import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { connectFromKubeconfig } from '@flotilla/client';
import { HollowFleet } from '../hollow-nodes/hollow-fleet';
import { hollowNodeClients, hollowNodeNames } from '../hollow-nodes/hollow-identities';
import {
  type HollowOptions,
  hollowUsage,
  parseHollowOptions,
} from '../hollow-nodes/hollow-options';
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
  const { client, contexts } = connectFromKubeconfig({
    kubeconfig: resolve(parsed.kubeconfig),
    component: 'hollow-nodes',
    rateLimit: false,
  });
  const pkiDir = hollowPkiDir(parsed);
  const say = (message: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(
      `${[message, ...Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`)].join(' ')}\n`,
    );
  const nodeClients = pkiDir
    ? await hollowNodeClients(pkiDir, hollowNodeNames(parsed), contexts)
    : undefined;
  say(
    nodeClients
      ? `each node has its own certificate from ${pkiDir} (system:node:<name>)`
      : "every node uses the kubeconfig's credentials (give --pki-dir for one identity per node)",
  );
  const fleet = new HollowFleet(client, parsed, (m, f) => say(m, f), undefined, nodeClients);
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

/** --pki-dir, or the pki/ directory beside the kubeconfig when it holds the CA (flotilla up's). */
export function hollowPkiDir(o: Pick<HollowOptions, 'pkiDir' | 'kubeconfig'>): string | undefined {
  if (o.pkiDir) return resolve(o.pkiDir);
  const beside = join(dirname(resolve(o.kubeconfig)), 'pki');
  return existsSync(join(beside, 'ca.key')) ? beside : undefined;
}
