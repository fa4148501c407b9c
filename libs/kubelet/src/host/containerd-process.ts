// One containerd for one worker, started inside the worker's network namespace with
// nsenter --net (so it shares the host's mounts), waited for until CRI says the runtime and the
// network are ready, and stopped so that nothing of it stays behind.
import { spawn } from 'node:child_process';
import { openSync, closeSync, promises as fs } from 'node:fs';
import { CriRuntime } from '../runtime/cri/cri-runtime';
import {
  ContainerdConfigInput,
  containerdPaths,
  renderContainerdConfig,
} from './containerd-config';
import { mountsUnder } from '../volumes/mounter';
import { inNetns } from './netns';
import { alive, killTree, listProcesses, waitGone } from './processes';
import { run, tryRun } from './run';

export interface ContainerdHandle {
  pid: number;
  socket: string;
  dir: string;
}

const RUNC_ROOT = '/run/containerd/runc/k8s.io';

export async function writeContainerdConfig(input: ContainerdConfigInput): Promise<void> {
  const p = containerdPaths(input.dir);
  await fs.mkdir(p.cniConfDir, { recursive: true });
  await fs.writeFile(p.config, renderContainerdConfig(input));
}

/** The containerd already serving dir's socket, if one runs (a restart adopts it). */
export async function findContainerd(dir: string): Promise<number | undefined> {
  const config = containerdPaths(dir).config;
  const found = (await listProcesses()).find(
    (p) => p.cmdline[0]?.endsWith('containerd') && p.cmdline.includes(config),
  );
  return found?.pid;
}

async function waitReady(socket: string, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`containerd exited while starting (${socket})`);
    const cri = new CriRuntime({ endpoint: socket, callTimeoutMs: 2000 });
    try {
      // RuntimeReady only: NetworkReady follows once a CNI configuration appears (the node
      // agent writes it when its Node has a pod range).
      const conditions = (await cri.status()).filter((c) => c.type === 'RuntimeReady');
      const notReady = conditions.filter((c) => !c.status);
      if (conditions.length > 0 && notReady.length === 0) return;
      last = notReady.map((c) => `${c.type}: ${c.reason} ${c.message}`).join('; ');
    } catch (err) {
      last = (err as Error).message;
    } finally {
      cri.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`containerd at ${socket} not ready after ${timeoutMs} ms: ${last}`);
}

/** Starts containerd for dir in netns (or finds the one running) and waits until CRI is ready. */
export async function startContainerd(
  netns: string,
  input: ContainerdConfigInput,
  timeoutMs = 30_000,
): Promise<ContainerdHandle> {
  const p = containerdPaths(input.dir);
  await writeContainerdConfig(input);
  let pid = await findContainerd(input.dir);
  if (pid === undefined) {
    const log = openSync(p.log, 'a');
    const [cmd, ...args] = inNetns(netns, ['containerd', '--config', p.config]);
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error('could not start containerd');
    pid = child.pid;
  }
  try {
    await waitReady(p.socket, pid, timeoutMs);
  } catch (err) {
    const tail = await fs.readFile(p.log, 'utf8').then(
      (t) => t.slice(-2000),
      () => '',
    );
    throw new Error(`${(err as Error).message}\n--- ${p.log} ---\n${tail}`);
  }
  return { pid, socket: p.socket, dir: input.dir };
}

/**
 * Stops everything this containerd runs (pods through CRI, then any shim left), then containerd,
 * then unmounts and removes what it left under dir and in runc's and libcni's shared state.
 */
export async function destroyContainerd(dir: string, cniNetworkName?: string): Promise<void> {
  const p = containerdPaths(dir);
  const pid = await findContainerd(dir);
  const ids = new Set<string>();
  if (pid !== undefined) {
    const cri = new CriRuntime({ endpoint: p.socket, callTimeoutMs: 20_000 });
    try {
      for (const c of await cri.listContainers()) ids.add(c.id);
      for (const s of await cri.listSandboxes()) {
        ids.add(s.id);
        await cri.stopSandbox(s.id).catch(() => undefined);
        await cri.removeSandbox(s.id).catch(() => undefined);
      }
    } catch {
      // containerd not answering: the shims are ended below
    } finally {
      cri.close();
    }
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 10_000))) await killTree(pid);
  }
  for (const shim of (await listProcesses()).filter((x) => x.cmdline.includes(p.socket))) {
    const idAt = shim.cmdline.indexOf('-id');
    if (idAt >= 0) ids.add(shim.cmdline[idAt + 1]);
    await killTree(shim.pid);
  }
  for (const task of await fs
    .readdir(`${p.state}/io.containerd.runtime.v2.task/k8s.io`)
    .catch(() => [] as string[])) {
    ids.add(task);
  }
  for (const id of ids) await fs.rm(`${RUNC_ROOT}/${id}`, { recursive: true, force: true });
  for (const m of await mountsUnder(dir)) {
    if (!(await tryRun('umount', [m]))) await run('umount', ['-l', m]);
  }
  if (cniNetworkName) {
    const results = '/var/lib/cni/results';
    for (const f of await fs.readdir(results).catch(() => [] as string[])) {
      if (f.startsWith(`${cniNetworkName}-`)) await fs.rm(`${results}/${f}`, { force: true });
    }
  }
  await fs.rm(dir, { recursive: true, force: true });
}
