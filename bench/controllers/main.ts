/**
 * The controller manager of a three-master Flotilla cluster (the built dist/, on loopback):
 * how long a Deployment of N replicas takes to be available, how long a rolling update of it
 * takes, and how long the controller-manager Lease takes to move when its holder is SIGKILLed.
 * No kubelet runs: the bench marks each new pod Running and Ready through the status
 * subresource, as a kubelet would (a stand-in until hollow nodes land). Every phase is bounded
 * in time. Prints the figures; asserts nothing.
 *
 *   npx tsx bench/controllers/main.ts [--replicas N] [--kubelet-parallel N] [--failovers N] [--phase-seconds S]
 */
import { resolve } from 'node:path';
import { connect, type Deployment, type KubeClient } from '@flotilla/client';
import { startFakeKubelet } from '../../test/integration/support/fake-kubelet';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { ensureBuilt } from '../kv/prerequisites';

const USAGE = `Usage: npx tsx bench/controllers/main.ts [--replicas N] [--kubelet-parallel N]
  [--failovers N] [--phase-seconds S]`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 0) {
    console.error(
      `--${name}: ${JSON.stringify(process.argv[at + 1])} is not a whole number\n${USAGE}`,
    );
    process.exit(2);
  }
  return n;
}

const REPLICAS = arg('replicas', 1000);
const KUBELET_PARALLEL = arg('kubelet-parallel', 32);
const FAILOVERS = arg('failovers', 3);
const PHASE_SECONDS = arg('phase-seconds', 120);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` says yes; milliseconds taken, or undefined at the phase's time limit. */
async function timeUntil(
  what: string,
  done: () => Promise<boolean>,
  everyMs = 100,
): Promise<number | undefined> {
  const started = performance.now();
  const deadline = started + PHASE_SECONDS * 1000;
  while (performance.now() < deadline) {
    if (await done().catch(() => false)) return performance.now() - started;
    await sleep(everyMs);
  }
  process.stdout.write(`  ${what}: not reached within ${PHASE_SECONDS} s\n`);
  return undefined;
}

const fullyRolled = (d: Deployment | undefined, image: string) =>
  !!d &&
  (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
  d.spec?.template.spec?.containers[0].image === image &&
  d.status?.updatedReplicas === REPLICAS &&
  d.status?.availableReplicas === REPLICAS &&
  d.status?.replicas === REPLICAS;

const holderOf = async (client: KubeClient) =>
  (await client.leases('kube-system').get('kube-controller-manager')).spec?.holderIdentity ?? '';

const fmt = (ms: number | undefined) =>
  ms === undefined ? 'timed out' : `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  ensureBuilt(resolve(__dirname, '../..'));
  process.stdout.write('starting three masters (dist/)...\n');
  const cluster = await MasterCluster.start(3, [], 'dist/apps/control-plane/main.js');
  const { client } = connect(
    cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`),
    { rateLimit: false },
  );
  const kubelet = startFakeKubelet(client, { namespace: 'default', parallel: KUBELET_PARALLEL });
  const deployments = client.deployments('default');
  try {
    await cluster.waitForApi();
    await timeUntil('a controller-manager leader', async () => (await holderOf(client)) !== '');
    process.stdout.write(
      `pods are marked ready by the bench (a stand-in kubelet, ${KUBELET_PARALLEL} status writes in flight)\n`,
    );

    const labels = { app: 'bench' };
    const startedAt = performance.now();
    await deployments.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
        },
      },
    });
    const available = await timeUntil(`${REPLICAS} available`, async () =>
      fullyRolled(await deployments.get('bench'), 'nginx:1'),
    );
    const createMs = available === undefined ? undefined : performance.now() - startedAt;
    process.stdout.write(
      `Deployment of ${REPLICAS}: available after ${fmt(createMs)} (goal ≤ 10 s)\n`,
    );

    const rollStart = performance.now();
    await deployments.patch(
      'bench',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      'strategic',
    );
    const rolled = await timeUntil('rolling update', async () =>
      fullyRolled(await deployments.get('bench'), 'nginx:2'),
    );
    process.stdout.write(
      `rolling update of ${REPLICAS} (maxSurge 25%, maxUnavailable 25%): ${fmt(
        rolled === undefined ? undefined : performance.now() - rollStart,
      )}\n`,
    );

    const takeovers: number[] = [];
    for (let i = 0; i < FAILOVERS && cluster.processes.size > 2; i++) {
      const before = await holderOf(client);
      const victim = before.split('_')[0];
      const killedAt = performance.now();
      cluster.kill(victim);
      const took = await timeUntil(
        'another holder',
        async () => {
          const now = await holderOf(client);
          return now !== '' && now !== before;
        },
        25,
      );
      const takeoverMs = took === undefined ? undefined : performance.now() - killedAt;
      const after = await holderOf(client).catch(() => '?');
      process.stdout.write(
        `failover ${i + 1}: ${victim} SIGKILLed, ${after.split('_')[0]} holds the Lease after ${fmt(takeoverMs)} (goal ≤ 3 s)\n`,
      );
      if (takeoverMs !== undefined) takeovers.push(takeoverMs);
      // Bring the victim back so the next round still has a majority to move to.
      cluster.startMember(victim);
      await cluster.waitReady(victim);
    }
    if (takeovers.length > 0) {
      const sorted = [...takeovers].sort((a, b) => a - b);
      process.stdout.write(
        `failover: ${takeovers.length} rounds, max ${fmt(sorted[sorted.length - 1])}, median ${fmt(
          sorted[Math.floor(sorted.length / 2)],
        )}\n`,
      );
    }
  } finally {
    kubelet.stop();
    client.close();
    await cluster.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
