// `flotilla up` as root, from the sources, as a user runs it (issue 23): three masters and two
// real workers w1, w2 in network namespaces flotilla-w1/-w2. The README's commands right after
// start (create deployment, expose, rollout status) and the Service answering from inside a
// worker; `flotilla status` listing the workers; `flotilla chaos kill-worker w1` printing the
// node going NotReady, its pods evicted and Ready again on w2, and w1 back after SIGHUP; the same
// with stop-worker w2 (only its node agent stopped); Ctrl-C
// leaving no process, network namespace, mount, cgroup or CNI state behind. Uses the fixed
// names of `flotilla up`: it cannot run beside a user's own `flotilla up` with workers.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WorkerLab } from '../../libs/kubelet/src/host/lab';
import { labOptions } from '../../apps/flotilla/src/up/local-workers';
import { processesOfWorker } from '../../apps/flotilla/src/chaos/worker-chaos-run';
import { runTool, type ToolResult } from '../integration/support/run-tool';
import { REPO_ROOT, eventually } from './support/lab';

const CLI = join(REPO_ROOT, 'apps/flotilla/src/main.ts');
const root = mkdtempSync(join(tmpdir(), 'flotilla-up-'));
const dataDir = join(root, 'data');
const kubeconfig = join(dataDir, 'kubeconfig');
let up: ChildProcess | undefined;
const output: string[] = [];

function cli(args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return runTool(process.execPath, ['--import', 'tsx', CLI, ...args], {
    timeoutMs,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

/** Runs in REPO_ROOT (tsx finds the path aliases there). */
async function kubectl(args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await runTool('kubectl', args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    timeoutMs,
  });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function said(pattern: RegExp): Promise<string> {
  return eventually(
    `flotilla up saying ${pattern}`,
    async () => {
      if (up?.exitCode !== null && up?.exitCode !== undefined)
        throw new Error(`flotilla up exited ${up.exitCode}:\n${output.slice(-40).join('\n')}`);
      return output.find((l) => pattern.test(l));
    },
    240_000,
  );
}

beforeAll(async () => {
  up = spawn(process.execPath, ['--import', 'tsx', CLI, 'up', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  for (const stream of [up.stdout!, up.stderr!]) {
    createInterface({ input: stream }).on('line', (l) => {
      output.push(l);
      if (output.length > 20_000) output.splice(0, 10_000);
    });
  }
  await said(/^flotilla: workers w1, w2: node agents running/);
}, 300_000);

afterAll(async () => {
  if (up && up.exitCode === null) {
    up.kill('SIGKILL');
    await new Promise((r) => up!.once('exit', r));
  }
  // Whatever a failed run left: the same names, so the next run starts clean.
  await WorkerLab.leftBehind(labOptions({ count: 2, dataDir, agentCommand: [] })).destroy();
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe('flotilla up with real workers', () => {
  it('runs the README commands: the Deployment rolls out and its Service answers from inside a worker', async () => {
    expect(output).toContainEqual(expect.stringMatching(/^flotilla: kubeconfig: KUBECONFIG=/));
    await eventually(
      'both workers Ready',
      async () => {
        const out = await kubectl(['get', 'nodes']);
        return /\nw1\s+Ready\s/.test(out) && /\nw2\s+Ready\s/.test(out) ? true : undefined;
      },
      120_000,
    );
    await kubectl(['create', 'deployment', 'web', '--image=flotilla/demo-web', '--replicas=3']);
    await kubectl(['expose', 'deployment', 'web', '--port=80']);
    await kubectl(['rollout', 'status', 'deploy/web', '--timeout=150s'], 160_000);
    const ip = await kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const fromW1 = () =>
      runTool('ip', ['netns', 'exec', 'flotilla-w1', 'curl', '-sS', '-m', '5', `http://${ip}/`]);
    // kube-proxy writes the endpoints within its 1 s sync period after they are ready.
    await eventually(
      'the Service answering',
      async () => ((await fromW1()).code === 0 ? true : undefined),
      20_000,
    );
    const pods = (await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'name']))
      .trim()
      .split('\n')
      .map((p) => p.replace('pod/', ''))
      .sort();
    // Every endpoint answers, within a bounded number of connections (kube-proxy picks at random;
    // the last endpoints may reach it one sync period after the first).
    const seen = new Set<string>();
    for (let i = 0; i < 120 && seen.size < pods.length; i++) {
      const r = await fromW1();
      if (r.code === 0) seen.add(r.stdout.trim());
      else await new Promise((res) => setTimeout(res, 200));
    }
    expect([...seen].sort()).toEqual(pods);
  }, 240_000);

  it('flotilla status shows the workers with their namespaces and processes', async () => {
    const r = await cli(['status', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WORKER\s+NETNS\s+ADDRESS\s+AGENT PID\s+CONTAINERD PID\s+NODE$/m);
    expect(r.stdout).toMatch(/^w1\s+flotilla-w1\s+10\.239\.0\.1\s+\d+\s+\d+\s+Ready$/m);
    expect(r.stdout).toMatch(/^w2\s+flotilla-w2\s+10\.239\.0\.2\s+\d+\s+\d+\s+Ready$/m);
  });

  it('a second flotilla up with workers is refused (exit code 2) and leaves these workers alone', async () => {
    const pidsBefore = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')).workers;
    const r = await cli(['up', '--data-dir', join(root, 'second')], 120_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `real workers already run here for another flotilla up (pid ${up!.pid}, data ${dataDir}, since `,
    );
    expect(r.stderr).toContain('--workers 0');
    expect(existsSync(join(root, 'second', 'workers'))).toBe(false);
    const status = await cli(['status', '--data-dir', dataDir]);
    expect(status.stdout).toMatch(/^w1\s+flotilla-w1\s+10\.239\.0\.1\s+\d+\s+\d+\s+Ready$/m);
    expect(status.stdout).toMatch(/^w2\s+flotilla-w2\s+10\.239\.0\.2\s+\d+\s+\d+\s+Ready$/m);
    expect(JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')).workers).toEqual(
      pidsBefore,
    );
  }, 180_000);

  it('chaos kill-worker w1: NotReady, evicted after the toleration, Ready on w2, then w1 back', async () => {
    // Pods that tolerate a lost node for 5 s (the default 300 s would make this test long).
    const tolerate = ['unreachable', 'not-ready'].map((t) => ({
      key: `node.kubernetes.io/${t}`,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 5,
    }));
    await kubectl([
      'patch',
      'deployment',
      'web',
      '-p',
      JSON.stringify({ spec: { template: { spec: { tolerations: tolerate } } } }),
    ]);
    await kubectl(['rollout', 'status', 'deploy/web', '--timeout=150s'], 160_000);
    const containersOfW1 = processesOfWorker('flotilla-w1').filter((pid) =>
      readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('/flotilla-w1/pod'),
    );
    expect(containersOfW1.length).toBeGreaterThan(0);
    const r = await cli(
      ['chaos', 'kill-worker', 'w1', '--data-dir', dataDir, '--timeout', '240'],
      300_000,
    );
    const lines = r.stdout.split('\n');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const at = (pattern: RegExp) => {
      const line = lines.find((l) => pattern.test(l));
      if (!line) throw new Error(`no line ${pattern} in:\n${r.stdout}`);
      return Number(/^\s*(\d+) ms/.exec(line)![1]);
    };
    const killed = at(/ms {2}killed worker w1: SIGKILL to its \d+ processes/);
    const notReady = at(/ms {2}node w1 NotReady/);
    const evicted = at(/ms {2}pod default\/web-\S+ evicted from w1/);
    const readyOnW2 = at(/ms {2}pod default\/web-\S+ Running and Ready on w2/);
    const back = at(/ms {2}node w1 Ready again/);
    // The Service lost the endpoints on w1 and was whole again with the replacements on w2.
    const dropped = at(/ms {2}Service default\/web: the endpoints on w1 dropped/);
    const whole = at(/ms {2}Service default\/web whole again: 3 of 3 endpoints ready \(w2: 3\)/);
    expect(killed).toBeLessThanOrEqual(dropped);
    expect(dropped).toBeLessThanOrEqual(whole);
    expect(readyOnW2).toBeLessThanOrEqual(whole);
    expect(killed).toBeLessThanOrEqual(notReady);
    expect(notReady).toBeLessThanOrEqual(evicted);
    expect(evicted).toBeLessThanOrEqual(readyOnW2);
    expect(readyOnW2).toBeLessThanOrEqual(back);
    expect(r.stdout).toMatch(/^recovered: node NotReady \d+ ms, first eviction \d+ ms/m);
    // The host died with its pods: none of its containers' processes lived on.
    expect(containersOfW1.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    // Every web pod runs Ready again, and the Service still answers.
    await kubectl(['rollout', 'status', 'deploy/web', '--timeout=60s'], 70_000);
    const ip = await kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const get = await runTool('ip', [
      'netns',
      'exec',
      'flotilla-w2',
      'curl',
      '-sS',
      '-m',
      '5',
      `http://${ip}/`,
    ]);
    expect(get.stdout).toMatch(/^web-/);
  }, 320_000);

  it('chaos stop-worker w2: its pods run on unreported, replacements on w1, w2 back', async () => {
    const before = (await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide'])).split('\n');
    expect(before.filter((l) => /\sw2\s/.test(l)).length).toBeGreaterThan(0);
    const r = await cli(
      ['chaos', 'stop-worker', 'w2', '--data-dir', dataDir, '--timeout', '240'],
      300_000,
    );
    if (r.code !== 0) {
      const log = await runTool('tail', ['-n', '20', join(dataDir, 'logs', 'w2.log')]);
      throw new Error(
        `chaos stop-worker w2 exited ${r.code}: ${r.stderr}\n${r.stdout}\n--- flotilla up ---\n${output
          .filter((l) => l.startsWith('flotilla:'))
          .slice(-15)
          .join('\n')}\n--- w2.log ---\n${log.stdout}`,
      );
    }
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ms {2}stopped w2's node agent \(pid \d+, SIGTERM\)/);
    expect(r.stdout).toMatch(/ms {2}node w2 NotReady/);
    expect(r.stdout).toMatch(/ms {2}pod default\/web-\S+ evicted from w2 \(Terminating\)/);
    expect(r.stdout).toMatch(/ms {2}pod default\/web-\S+ Running and Ready on w1/);
    expect(r.stdout).toMatch(/ms {2}node w2 Ready again/);
    await kubectl(['rollout', 'status', 'deploy/web', '--timeout=60s'], 70_000);
  }, 320_000);

  it('Ctrl-C leaves no process, network namespace, mount, cgroup or CNI state behind', async () => {
    const exited = new Promise<number | null>((r) => up!.once('exit', (code) => r(code)));
    up!.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContainEqual(
      'flotilla: workers removed: no process, network namespace, mount, cgroup or nftables table left',
    );
    const lab = WorkerLab.leftBehind(labOptions({ count: 2, dataDir, agentCommand: [] }));
    expect(await lab.leftovers()).toEqual([]);
    for (const netns of ['flotilla-fab', 'flotilla-w1', 'flotilla-w2', 'flotilla-client'])
      expect(existsSync(`/var/run/netns/${netns}`)).toBe(false);
    const processes = await runTool('pgrep', ['-af', dataDir]);
    expect(processes.stdout).toBe('');
  }, 120_000);
});
