import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortBlock } from './support/ports';
import { REPO_ROOT, TsProcess } from './support/ts-process';
import { isAlive, waitFor } from './support/wait';

// The nine ports of three members: API base+0..2, etcd and peer at +10/+11 in steps of 100.
const OFFSETS = [0, 1, 2, 10, 110, 210, 11, 111, 211];
const CLI = 'apps/flotilla/src/main.ts';

/** One `flotilla <args>` run to its end: exit code and output. */
async function flotilla(args: string[], timeoutMs = 120_000) {
  const p = new TsProcess(CLI, args);
  const { code } = await p.exit(timeoutMs);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

describe('flotilla status and flotilla chaos against a running flotilla up', () => {
  let dataDir: string;
  let up: TsProcess;
  const pids = new Set<number>();
  const recordedPids = () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as {
      members: { name: string; pid: number | null }[];
    };
    for (const m of state.members) if (m.pid) pids.add(m.pid);
    return state.members;
  };

  let base: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flotilla-chaos-'));
    base = await freePortBlock(OFFSETS);
    up = new TsProcess(
      CLI,
      [
        'up',
        // The masters alone: as root, flotilla up would start real workers too.
        '--workers',
        '0',
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
    await waitFor(
      'the API ready line',
      () => (/^flotilla: Kubernetes API ready/m.test(up.stdout) ? true : undefined),
      90_000,
      250,
    );
    // Both components elected somewhere before the faults start.
    await waitFor(
      'both Leases held',
      async () => {
        const r = await flotilla(['status', '--data-dir', dataDir, '-o', 'json']);
        const s = JSON.parse(r.stdout) as { leases?: { holder?: string; expired: boolean }[] };
        return s.leases?.every((l) => l.holder && !l.expired) ? true : undefined;
      },
      60_000,
      500,
    );
  }, 180_000);

  afterAll(() => {
    up?.kill();
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records the cluster in cluster.json and shows masters, Leases and nodes with status', async () => {
    const members = recordedPids();
    expect(members.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    expect(members.every((m) => m.pid !== null && isAlive(m.pid))).toBe(true);

    const table = await flotilla(['status', '--data-dir', dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout.match(/^m\d\s+\d+\s+leader\s+\d+\s+\d+/gm)).toHaveLength(1);
    expect(table.stdout.match(/^m\d\s+\d+\s+follower\s/gm)).toHaveLength(2);
    expect(table.stdout).toMatch(/^kube-system\/kube-scheduler\s+m\d\s+\S+Z \(/m);
    expect(table.stdout).toMatch(/^kube-system\/kube-controller-manager\s+m\d\s/m);
    expect(table.stdout).toContain('no nodes');

    const json = JSON.parse(
      (await flotilla(['status', '--data-dir', dataDir, '-o', 'json'])).stdout,
    );
    expect(json.masters.map((m: { role: string }) => m.role).sort()).toEqual([
      'follower',
      'follower',
      'leader',
    ]);
  }, 60_000);

  it('kill-leader: prints the election of a new leader and the Lease takeovers, and waits for the rejoin', async () => {
    const r = await flotilla(
      ['chaos', 'kill-leader', '--data-dir', dataDir, '--timeout', '120'],
      150_000,
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const before = /^before: Raft leader (m\d)/m.exec(r.stdout)!;
    const victim = before[1];
    expect(r.stdout).toMatch(
      new RegExp(`^\\s+\\d+ ms  killed ${victim} \\(pid \\d+, leader\\) with SIGKILL$`, 'm'),
    );
    const elected =
      /^\s+\d+ ms {2}Raft: (m\d) elected leader, term \d+ \(was (m\d), term \d+\)$/m.exec(
        r.stdout,
      )!;
    expect(elected).not.toBeNull();
    expect(elected[1]).not.toBe(victim);
    expect(elected[2]).toBe(victim);
    // Every Lease the victim held moved to a survivor.
    for (const lease of ['kube-scheduler', 'kube-controller-manager']) {
      if (!new RegExp(`${lease} held by ${victim}`).test(r.stdout)) continue;
      const moved = new RegExp(
        `^\\s+\\d+ ms  ${lease} Lease: taken over by (m\\d) \\(was ${victim}\\)$`,
        'm',
      ).exec(r.stdout);
      expect(moved?.[1]).toMatch(/^m\d$/);
      expect(moved?.[1]).not.toBe(victim);
    }
    expect(r.stdout).toMatch(/^\s+\d+ ms {2}first successful write after the fault/m);
    expect(r.stdout).toMatch(
      new RegExp(`^\\s+\\d+ ms  ${victim} started again \\(pid \\d+\\)$`, 'm'),
    );
    expect(r.stdout).toMatch(new RegExp(`^\\s+\\d+ ms  ${victim} rejoined: follower of m\\d`, 'm'));
    // The kubernetes Service (the masters' endpoints) either never noticed, or lost the victim
    // and had it back.
    expect(r.stdout).toMatch(
      /Services whole throughout \(ready endpoints\): .*default\/kubernetes \(3\)|Service default\/kubernetes whole again: 3 of 3 endpoints ready/,
    );
    expect(r.stdout).toMatch(/^recovered: election \d+ ms, .*first write \d+ ms, rejoined \d+ ms/m);
    // flotilla up's restart policy brought it back, and said so; chaos did not have to ask.
    expect(up.stdout).toMatch(
      new RegExp(
        `^flotilla: ${victim} was killed by SIGKILL; restarting it in 2 s \\(restart policy`,
        'm',
      ),
    );
    expect(r.stdout).not.toContain('SIGHUP');
    expect(r.stdout).toMatch(
      new RegExp(
        `^${victim} back as follower at \\+\\d+\\.\\d s, caught up at \\+\\d+\\.\\d s$`,
        'm',
      ),
    );
    recordedPids();
  }, 180_000);

  it('kill-master of the scheduler Lease holder: names the master that takes the Lease over', async () => {
    const json = JSON.parse(
      (await flotilla(['status', '--data-dir', dataDir, '-o', 'json'])).stdout,
    );
    const holder = json.leases.find((l: { lease: string }) => l.lease === 'kube-scheduler').holder;
    const r = await flotilla(
      ['chaos', 'kill-master', holder, '--data-dir', dataDir, '--timeout', '120'],
      150_000,
    );
    expect(r.code).toBe(0);
    const moved = new RegExp(`kube-scheduler Lease: taken over by (m\\d) \\(was ${holder}\\)`).exec(
      r.stdout,
    );
    expect(moved?.[1]).not.toBe(holder);
    expect(r.stdout).toMatch(new RegExp(`${holder} rejoined`));
    recordedPids();
  }, 180_000);

  it('kill-master --no-restart: flotilla up keeps it down for the drill until "start NAME" on its console', async () => {
    const victim = 'm3';
    const r = await flotilla(
      ['chaos', 'kill-master', victim, '--no-restart', '--data-dir', dataDir, '--timeout', '120'],
      150_000,
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).not.toMatch(/started again|back as/);
    await waitFor(
      'the kept-down line',
      () =>
        new RegExp(
          `^flotilla: ${victim} was killed by SIGKILL; kept down: flotilla chaos kill-master --no-restart`,
          'm',
        ).test(up.stdout)
          ? true
          : undefined,
      10_000,
      100,
    );
    // Longer than the back-off: still down.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(recordedPids().find((m) => m.name === victim)).toMatchObject({
      pid: null,
      state: 'exited',
    });
    up.write(`start ${victim}`);
    await waitFor(
      `${victim} running again`,
      () => (recordedPids().find((m) => m.name === victim)?.pid ? true : undefined),
      30_000,
      200,
    );
    expect(existsSync(join(dataDir, 'keep-down.json'))).toBe(false);
    // Back in the cluster before the next fault.
    await waitFor(
      `${victim} following again`,
      async () => {
        const s = JSON.parse(
          (await flotilla(['status', '--data-dir', dataDir, '-o', 'json'])).stdout,
        );
        return s.masters.every(
          (m: { role: string }) => m.role === 'leader' || m.role === 'follower',
        )
          ? true
          : undefined;
      },
      90_000,
      500,
    );
  }, 240_000);

  it('partition (root: nftables): the cut-off leader runs on and serves, steps down, refuses writes; the majority elects; the heal brings it back caught up', async () => {
    const json = JSON.parse(
      (await flotilla(['status', '--data-dir', dataDir, '-o', 'json'])).stdout,
    );
    const victim = json.masters.find((m: { role: string }) => m.role === 'leader').name;
    const pidBefore = recordedPids().find((m) => m.name === victim)!.pid;
    const r = await flotilla(
      ['chaos', 'partition', victim, '12', '--data-dir', dataDir, '--timeout', '120'],
      150_000,
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const line = (text: string) => new RegExp(`^\\s+\\d+ ms  ${text}`, 'm');
    expect(r.stdout).not.toMatch(/SIGSTOP/);
    expect(r.stdout).toMatch(
      line(
        `partitioned ${victim} \\(pid ${pidBefore}, leader\\): nftables table inet flotilla-chaos drops every packet between its Raft address 127\\.0\\.10\\.\\d`,
      ),
    );
    const elected = /Raft: (m\d) elected leader, term \d+ \(was (m\d)/.exec(r.stdout);
    expect(elected?.[1]).not.toBe(victim);
    expect(r.stdout).toMatch(line(`${victim} stepped down: no leader known`));
    // Refused by the member itself (it runs and answers), for want of a quorum.
    expect(r.stdout).toMatch(
      line(`write through ${victim} alone refused while cut off: HTTP 503: .*no leader`),
    );
    expect(r.stdout).not.toMatch(/ACCEPTED/);
    expect(r.stdout).toMatch(
      line(
        `healed: removed ${victim}'s partition \\(\\d+ write\\(s\\) through it refused while cut off, 0 accepted\\)`,
      ),
    );
    expect(r.stdout).toMatch(line(`${victim} rejoined: follower of m\\d, term \\d+, commit \\d+`));
    // The same process all along (no stand-in stopped or restarted it), and no rule left behind.
    expect(recordedPids().find((m) => m.name === victim)!.pid).toBe(pidBefore);
    const table = spawnSync('nft', ['list', 'table', 'inet', 'flotilla-chaos'], {
      encoding: 'utf8',
    });
    expect(table.stdout).not.toContain(`partition-${base + 11}`);
  }, 180_000);

  it('stops cleanly: the record goes, and status and chaos then say no cluster runs (exit code 2)', async () => {
    up.child.kill('SIGTERM');
    expect(await up.exit(60_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dataDir, 'cluster.json'))).toBe(false);
    for (const args of [['status'], ['chaos', 'kill-leader']]) {
      const r = await flotilla([...args, '--data-dir', dataDir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no local cluster running: .*cluster\.json does not exist/);
    }
    expect([...pids].filter(isAlive)).toEqual([]);
  }, 90_000);
});
