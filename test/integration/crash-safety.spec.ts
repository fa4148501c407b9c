import { Etcd3 } from 'etcd3';
import { createRng } from '../sim/prng';
import { MasterCluster } from './support/master-cluster';
import { TsProcess } from './support/ts-process';
import { waitFor } from './support/wait';

/**
 * kill -9 at chosen moments during writes, restart, repeat; then nothing acknowledged is lost
 * and no member diverges: a range at the same revision is identical on every member.
 */
describe('crash safety: kill -9 during writes', () => {
  let cluster: MasterCluster;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, ['--snapshot-count', '300']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('loses no acknowledged write and leaves no member diverged', async () => {
    const rng = createRng(Number(process.env.CRASH_SEED ?? 7));
    const client = new Etcd3({ hosts: cluster.names.map((n) => `http://${cluster.endpoint(n)}`) });
    const acked = new Map<string, string>();
    let stop = false;
    let attempts = 0;
    const writer = (async () => {
      for (let i = 0; i < 20_000 && !stop; i++) {
        attempts++;
        const key = `/crash/${i % 500}`;
        try {
          await client.put(key).value(`v${i}`);
          acked.set(key, `v${i}`);
        } catch {
          // not acknowledged: may or may not be applied, so the check below tolerates either
        }
      }
    })();

    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      await new Promise((r) => setTimeout(r, 300 + rng.int(900)));
      const victim = rng.pick(cluster.names);
      cluster.kill(victim);
      await new Promise((r) => setTimeout(r, 200 + rng.int(800)));
      cluster.startMember(victim);
      await cluster.waitReady(victim);
    }
    stop = true;
    await writer;
    client.close();
    expect(acked.size).toBeGreaterThan(50);

    // Converged: every member reports the same revision once writes have stopped.
    const revisionOf = async (name: string) => {
      const r = await cluster.etcdctl(
        ['get', 'x', '--consistency=s', '-w', 'json'],
        cluster.endpoint(name),
      );
      return r.code === 0 ? Number(JSON.parse(r.stdout).header.revision) : -1;
    };
    const revision = await waitFor(
      'members converged',
      async () => {
        const revs = await Promise.all(cluster.names.map(revisionOf));
        return revs.every((r) => r > 0 && r === revs[0]) ? revs[0] : undefined;
      },
      60_000,
      250,
    );

    const snapshotAt = async (name: string) => {
      const r = await cluster.etcdctl(
        ['get', '/crash/', '--prefix', `--rev=${revision}`, '--consistency=s', '-w', 'json'],
        cluster.endpoint(name),
      );
      const kvs = (JSON.parse(r.stdout).kvs ?? []) as {
        key: string;
        value: string;
        mod_revision: number;
        version: number;
      }[];
      return kvs.map((kv) => ({
        key: Buffer.from(kv.key, 'base64').toString(),
        value: Buffer.from(kv.value, 'base64').toString(),
        mod: kv.mod_revision,
        version: kv.version,
      }));
    };
    const views = await Promise.all(cluster.names.map(snapshotAt));
    for (const view of views.slice(1)) expect(view).toEqual(views[0]);

    // Every acknowledged write is there: the last acknowledged value of a key, or a later one.
    const present = new Map(views[0].map((kv) => [kv.key, Number(kv.value.slice(1))]));
    const lost = [...acked].filter(
      ([key, value]) => (present.get(key) ?? -1) < Number(value.slice(1)),
    );
    expect(lost).toEqual([]);
    expect(attempts).toBeGreaterThan(acked.size - 1);
  }, 240_000);

  it('flotilla members lists every member, exactly one leader', async () => {
    const cli = new TsProcess('apps/flotilla/src/main.ts', [
      'members',
      '--endpoints',
      cluster.endpoints(cluster.names),
    ]);
    const { code } = await cli.exit(30_000);
    expect(code).toBe(0);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ID\s+ENDPOINT\s+LEADER\s+TERM\s+COMMIT\s+APPLIED$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['m1', 'm2', 'm3']);
    expect(lines.slice(1).filter((l) => /\s\*\s/.test(l))).toHaveLength(1);
  });
});
