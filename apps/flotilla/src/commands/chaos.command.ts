import { resolve } from 'node:path';
import { chaosUsage, isWorkerAction, parseChaosOptions } from '../chaos/chaos-options';
import { runChaos } from '../chaos/chaos-run';
import { runWorkerChaos } from '../chaos/worker-chaos-run';
import { openLocalCluster } from '../observe/local-cluster';
import type { CliContext } from './cli-context';

export async function chaosCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  const parsed = parseChaosOptions(argv);
  if (parsed.help) {
    process.stdout.write(chaosUsage());
    return;
  }
  const o = parsed.options;
  const { state, client } = openLocalCluster(
    o.dataDir,
    'member' in o.action ? o.action.member : undefined,
  );
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const dataDir = resolve(o.dataDir ?? 'data');
    const worker = isWorkerAction(o.action);
    const result = worker
      ? await runWorkerChaos(dataDir, state, client, o, print)
      : await runChaos(dataDir, state, client, o, print);
    const first = (kind: string, match = '') =>
      result.events.find((e) => e.kind === kind && e.text.includes(match))?.atMs;
    const last = (kind: string, match = '') =>
      result.events.filter((e) => e.kind === kind && e.text.includes(match)).pop()?.atMs;
    const figures = (
      worker
        ? [
            ['node NotReady', first('node', 'NotReady')],
            ['first eviction', first('pod', 'evicted')],
            ['last replacement Ready', last('pod', 'Ready on')],
            ['endpoints dropped', first('service', 'dropped')],
            ['Services whole', last('service', 'whole again')],
            ['node Ready again', first('node', 'Ready again')],
          ]
        : [
            ['stepped down', first('stepdown')],
            ['election', first('election')],
            ['kube-scheduler', first('lease', 'kube-scheduler')],
            ['kube-controller-manager', first('lease', 'kube-controller-manager')],
            ['first write', first('write')],
            ['isolated write refused', first('isolated', 'refused')],
            ['healed', first('action', 'healed')],
            ['rejoined', first('rejoined')],
            ['Services whole', last('service', 'whole again')],
          ]
    ).filter(([, ms]) => ms !== undefined);
    print(
      `${result.recovered ? 'recovered' : 'NOT recovered'}: ${figures.map(([k, ms]) => `${k} ${ms} ms`).join(', ') || 'nothing observed'}`,
    );
    if (!result.recovered) {
      throw new Error(
        `gave up after ${o.timeoutMs / 1000} s still waiting for ${result.missing.join(', ')}`,
      );
    }
  } finally {
    client.close();
  }
}
