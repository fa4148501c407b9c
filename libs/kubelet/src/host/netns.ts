// Worker "hosts" on one machine: network namespaces on a fabric bridge, as the notes describe.
// The fabric is a namespace with a bridge; an uplink veth gives the root namespace an address on
// it (the registry and the masters listen there); each worker namespace gets a veth on the bridge
// and routes to the other workers' pod ranges. Every step checks first, so running it again is
// harmless.
import { existsSync } from 'node:fs';
import { run, tryRun } from './run';

export interface FabricSpec {
  /** Network namespace holding the bridge. */
  netns: string;
  /** The veth end in the root namespace (15 characters at most). */
  uplink: string;
  /** First three octets of the fabric /24: workers are .1, .2, ...; the root namespace is .254. */
  prefix: string;
}

export interface WorkerNetSpec {
  netns: string;
  /** 1..253: the worker's address is <prefix>.<index>. */
  index: number;
  podCidr: string;
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

export function hostAddress(fabric: FabricSpec): string {
  return `${fabric.prefix}.254`;
}

export function workerAddress(fabric: FabricSpec, index: number): string {
  return `${fabric.prefix}.${index}`;
}

async function linkExists(name: string, netns?: string): Promise<boolean> {
  return tryRun('ip', [...(netns ? ['-n', netns] : []), 'link', 'show', name]);
}

async function ensureNetns(name: string): Promise<void> {
  if (!existsSync(netnsPath(name))) await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function ensureFabric(f: FabricSpec): Promise<void> {
  await ensureNetns(f.netns);
  if (!(await linkExists('fab0', f.netns))) {
    await run('ip', ['-n', f.netns, 'link', 'add', 'fab0', 'type', 'bridge']);
  }
  await run('ip', ['-n', f.netns, 'link', 'set', 'fab0', 'up']);
  if (!(await linkExists(f.uplink))) {
    await run('ip', [
      'link',
      'add',
      f.uplink,
      'type',
      'veth',
      'peer',
      'name',
      'uplink',
      'netns',
      f.netns,
    ]);
  }
  await run('ip', ['-n', f.netns, 'link', 'set', 'uplink', 'master', 'fab0', 'up']);
  const addr = `${hostAddress(f)}/24`;
  const have = await run('ip', ['-o', 'addr', 'show', 'dev', f.uplink]);
  if (!have.includes(` ${addr} `)) await run('ip', ['addr', 'add', addr, 'dev', f.uplink]);
  await run('ip', ['link', 'set', f.uplink, 'up']);
}

export async function destroyFabric(f: FabricSpec): Promise<void> {
  if (await linkExists(f.uplink)) await tryRun('ip', ['link', 'del', f.uplink]);
  if (existsSync(netnsPath(f.netns))) await tryRun('ip', ['netns', 'del', f.netns]);
}

export async function ensureWorkerNet(f: FabricSpec, w: WorkerNetSpec): Promise<void> {
  await ensureNetns(w.netns);
  const fabricEnd = `v${w.index}`;
  if (!(await linkExists('eth0', w.netns))) {
    if (await linkExists(fabricEnd, f.netns))
      await run('ip', ['-n', f.netns, 'link', 'del', fabricEnd]);
    await run('ip', [
      '-n',
      f.netns,
      'link',
      'add',
      fabricEnd,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      w.netns,
    ]);
  }
  await run('ip', ['-n', f.netns, 'link', 'set', fabricEnd, 'master', 'fab0', 'up']);
  const addr = `${workerAddress(f, w.index)}/24`;
  const have = await run('ip', ['-n', w.netns, '-o', 'addr', 'show', 'dev', 'eth0']);
  if (!have.includes(` ${addr} `))
    await run('ip', ['-n', w.netns, 'addr', 'add', addr, 'dev', 'eth0']);
  await run('ip', ['-n', w.netns, 'link', 'set', 'eth0', 'up']);
}

/** Routes from worker w to the pod ranges of the others, through their fabric addresses. */
export async function routeWorkers(f: FabricSpec, workers: WorkerNetSpec[]): Promise<void> {
  for (const w of workers) {
    for (const other of workers) {
      if (other === w) continue;
      await run('ip', [
        '-n',
        w.netns,
        'route',
        'replace',
        other.podCidr,
        'via',
        workerAddress(f, other.index),
      ]);
    }
  }
}

export async function destroyWorkerNet(f: FabricSpec, w: WorkerNetSpec): Promise<void> {
  if (existsSync(netnsPath(w.netns))) await tryRun('ip', ['netns', 'del', w.netns]);
  if (existsSync(netnsPath(f.netns)) && (await linkExists(`v${w.index}`, f.netns))) {
    await tryRun('ip', ['-n', f.netns, 'link', 'del', `v${w.index}`]);
  }
}

/** argv that runs a command inside a worker's network namespace only (not its own mount namespace). */
export function inNetns(netns: string, argv: string[]): string[] {
  return ['nsenter', `--net=${netnsPath(netns)}`, '--', ...argv];
}
