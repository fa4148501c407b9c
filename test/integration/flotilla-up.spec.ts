import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortBlock } from './support/ports';
import { REPO_ROOT, TsProcess } from './support/ts-process';
import { isAlive, tryGetText, waitFor } from './support/wait';

// The nine ports of three members: API base+0..2, etcd and peer at +10/+11 in steps of 100.
const OFFSETS = [0, 1, 2, 10, 110, 210, 11, 111, 211];

describe('flotilla up (from sources, through tsx)', () => {
  let dataDir: string;
  let cli: TsProcess;
  let base: number;
  const members = ['m1', 'm2', 'm3'];
  const healthz = (i: number) => tryGetText(`http://127.0.0.1:${base + i}/healthz`);
  const answers = async (i: number) => (await healthz(i))?.body === 'ok';

  /** The pid from the latest "mX started (pid N)" line. */
  const pidOf = (name: string): number | undefined => {
    const matches = [
      ...cli.stdout.matchAll(new RegExp(`flotilla: ${name} started \\(pid (\\d+)\\)`, 'g')),
    ];
    return matches.length > 0 ? Number(matches[matches.length - 1][1]) : undefined;
  };
  const seenPids = new Set<number>();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flotilla-up-'));
    base = await freePortBlock(OFFSETS);
    cli = new TsProcess(
      'apps/flotilla/src/main.ts',
      [
        'up',
        // The masters alone: as root, flotilla up would start real workers too.
        '--workers',
        '0',
        '--insecure',
        // A killed member stays down here, for the console's "restart" (the chaos suite covers
        // the restart policy).
        '--no-restart',
        '--data-dir',
        dataDir,
        '--base-api-port',
        String(base),
        '--base-etcd-port',
        String(base + 10),
        '--base-peer-port',
        String(base + 11),
        '--stop-timeout',
        '5',
        '--control-plane-entry',
        join(REPO_ROOT, 'apps/control-plane/src/main.ts'),
      ],
      { stdin: true },
    );
  });

  afterAll(() => {
    cli?.kill();
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('brings up three members that answer /healthz, and prints where they listen', async () => {
    for (let i = 0; i < 3; i++) {
      await waitFor(
        `m${i + 1} healthz`,
        async () => ((await answers(i)) ? true : undefined),
        60_000,
      );
    }
    for (const name of members) seenPids.add(pidOf(name)!);
    // Said once @flotilla/client lists the bootstrap namespaces through the kubeconfig it wrote.
    await waitFor(
      'the API ready line',
      () =>
        /^flotilla: Kubernetes API ready: namespaces .*kube-system/m.test(cli.stdout)
          ? true
          : undefined,
      60_000,
    );
    expect(cli.stdout).toContain(`m2      http://127.0.0.1:${base + 1}  127.0.0.1:${base + 110}`);
    // Each member's log lines are forwarded with its name in front.
    expect(cli.stdout).toMatch(/^m3 \| \{"time":.*"node":"m3"/m);
  }, 90_000);

  it('reports a killed member and keeps the other two answering', async () => {
    const victim = pidOf('m2')!;
    process.kill(victim, 'SIGKILL');
    await waitFor('exit report', () =>
      cli.stdout.includes('flotilla: m2 was killed by SIGKILL') ? true : undefined,
    );
    // When m2 led, the survivors notice its sockets close and elect one of them at once;
    // /healthz says "no raft leader known" for that moment, so allow them one election.
    await waitFor(
      'm1 and m3 healthy',
      async () => ((await answers(0)) && (await answers(2)) ? true : undefined),
      10_000,
    );
    expect(await healthz(1)).toBeUndefined();
  }, 30_000);

  it('brings the member back on "restart m2"', async () => {
    const before = pidOf('m2');
    cli.write('restart m2');
    await waitFor('m2 back', async () => ((await answers(1)) ? true : undefined), 60_000);
    const after = pidOf('m2')!;
    expect(after).not.toBe(before);
    seenPids.add(after);
    cli.write('status');
    await waitFor('status table', () =>
      /^m2\s+running\s+\d+/m.test(cli.stdout) ? true : undefined,
    );
  }, 90_000);

  it('stops every member on SIGTERM and leaves no process behind', async () => {
    const pids = members.map((name) => pidOf(name)!);
    expect(pids.every(isAlive)).toBe(true);
    cli.child.kill('SIGTERM');
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toContain('flotilla: all members stopped');
    expect([...seenPids].filter(isAlive)).toEqual([]);
  }, 60_000);
});
