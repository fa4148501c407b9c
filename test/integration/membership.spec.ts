import { MasterCluster } from './support/master-cluster';
import { TsProcess } from './support/ts-process';
import { waitFor } from './support/wait';

async function cli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new TsProcess('apps/flotilla/src/main.ts', args);
  const { code } = await p.exit(60_000);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Membership changes at run time: add a learner, let it catch up, promote it, remove a member. */
describe('membership changes through the etcd Cluster API', () => {
  let cluster: MasterCluster;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, ['--snapshot-count', '100']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('adds m4 as a learner, which catches up by snapshot, is promoted, then m4 is removed', async () => {
    for (let i = 0; i < 250; i++)
      await cluster.etcdctl(['put', `/before/${i % 10}`, String(i)], cluster.endpoint('m1'));
    const endpoints = cluster.endpoints(['m1', 'm2', 'm3']);
    const ports = await cluster.reserve('m4');

    const add = await cli([
      'members',
      'add',
      'm4',
      '--peer-url',
      `http://127.0.0.1:${ports.peer}`,
      '--learner',
      '--endpoints',
      endpoints,
    ]);
    expect(add.stderr).toBe('');
    expect(add.stdout).toContain('member m4 added; members now: m1, m2, m3, m4 (learner)');

    // A second change while... the first is done: adding the same member again is refused.
    const again = await cli([
      'members',
      'add',
      'm4',
      '--peer-url',
      `http://127.0.0.1:${ports.peer}`,
      '--endpoints',
      endpoints,
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exist/);

    cluster.startMember('m4', ['--initial-cluster-state', 'existing']);
    await cluster.waitReady('m4');
    await waitFor(
      'm4 caught up',
      async () =>
        (
          await cluster.etcdctl(
            ['get', '/before/9', '--consistency=s', '--print-value-only'],
            cluster.endpoint('m4'),
          )
        ).stdout.trim() === '249'
          ? true
          : undefined,
      60_000,
      250,
    );

    const promote = await cli(['members', 'promote', 'm4', '--endpoints', endpoints]);
    expect(promote.stderr).toBe('');
    expect(promote.stdout).toContain('member m4 promoted; members now: m1, m2, m3, m4');
    const list = await cluster.etcdctl(['member', 'list', '-w', 'json'], cluster.endpoint('m4'));
    const members = (
      JSON.parse(list.stdout).members as { name: string; isLearner?: boolean }[]
    ).map((m) => `${m.name}:${m.isLearner ? 'learner' : 'voter'}`);
    expect(members.sort()).toEqual(['m1:voter', 'm2:voter', 'm3:voter', 'm4:voter']);

    // Writes keep working with four voters, through the new member too.
    expect((await cluster.etcdctl(['put', '/after', 'four'], cluster.endpoint('m4'))).code).toBe(0);

    const remove = await cli(['members', 'remove', 'm4', '--endpoints', endpoints]);
    expect(remove.stdout).toContain('member m4 removed; members now: m1, m2, m3');
    cluster.kill('m4');
    expect((await cluster.etcdctl(['put', '/after', 'three'], cluster.endpoint('m2'))).code).toBe(
      0,
    );
    expect((await cli(['members', 'remove', 'm9', '--endpoints', endpoints])).stderr).toMatch(
      /no member named "m9"/,
    );
  }, 240_000);
});
