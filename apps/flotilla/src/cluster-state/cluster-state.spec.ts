import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@flotilla/process';
import { clusterRecorder } from '../up/cluster-record';
import { planMembers } from '../up/member-plan';
import { parseUpOptions } from '../up/up-options';
import {
  NoClusterError,
  clusterStatePath,
  readClusterState,
  removeClusterState,
} from './cluster-state';

describe('the cluster record (DATA/cluster.json)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function recorder(statuses: () => { name: string; state: 'running' | 'exited'; pid?: number }[]) {
    const parsed = parseUpOptions(['--data-dir', dir], { cwd: '/', defaultEntry: '/e.js' });
    if (parsed.help) throw new Error('help');
    const plans = planMembers(parsed.options, 'node');
    return clusterRecorder(
      {
        dataDir: dir,
        kubeconfig: join(dir, 'kubeconfig'),
        listenHost: '127.0.0.1',
        scheme: 'http',
        plans,
        supervisorPid: process.pid,
        now: () => new Date('2025-01-02T03:04:05Z'),
      },
      () => statuses().map((s) => ({ ...s, pid: s.pid, lastExit: undefined })),
    );
  }

  it('records every member with its pid and ports, and follows restarts', () => {
    let m2 = { name: 'm2', state: 'running' as const, pid: 200 } as {
      name: string;
      state: 'running' | 'exited';
      pid?: number;
    };
    const record = recorder(() => [{ name: 'm1', state: 'running', pid: 100 }, m2]);
    record.update();
    let state = readClusterState(dir);
    expect(state.supervisorPid).toBe(process.pid);
    expect(state.members.map((m) => [m.name, m.pid, m.state, m.apiPort, m.etcdPort])).toEqual([
      ['m1', 100, 'running', 6443, 2379],
      ['m2', 200, 'running', 6444, 2479],
      ['m3', null, 'stopped', 6445, 2579],
    ]);
    m2 = { name: 'm2', state: 'exited' };
    record.update();
    expect(readClusterState(dir).members[1]).toMatchObject({ pid: null, state: 'exited' });
    m2 = { name: 'm2', state: 'running', pid: 201 };
    record.update();
    state = readClusterState(dir);
    expect(state.members[1]).toMatchObject({ pid: 201, state: 'running' });
    record.remove();
    expect(() => readClusterState(dir)).toThrow(NoClusterError);
  });

  it('says clearly, as a usage error (exit code 2), when no cluster runs', () => {
    expect(() => readClusterState(dir)).toThrow(
      /no local cluster running: .*cluster\.json does not exist/,
    );
    expect(() => readClusterState(dir)).toThrow(ConfigError);
    recorder(() => []).update();
    expect(() => readClusterState(dir, () => false)).toThrow(
      new RegExp(`the flotilla up that wrote .* \\(pid ${process.pid}\\) is gone`),
    );
    writeFileSync(clusterStatePath(dir), '{"version": 7}');
    expect(() => readClusterState(dir)).toThrow(/not a cluster record/);
  });

  it("leaves another supervisor's record in place", () => {
    recorder(() => []).update();
    removeClusterState(dir, process.pid + 1);
    expect(readClusterState(dir).supervisorPid).toBe(process.pid);
  });
});
