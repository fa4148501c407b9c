// Debian packages a worker host needs, installed on demand and idempotently. Other installers may
// hold the dpkg lock: apt waits for it rather than failing.
import { run, tryRun } from './run';

/** containerd with its CRI plugin, runc, the CNI plugins; nft and conntrack for kube-proxy. */
export const WORKER_PACKAGES = [
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iproute2',
  'util-linux',
  'nftables',
  'conntrack',
];

export const IMAGE_PACKAGES = [
  'docker-registry',
  'busybox-static',
  'umoci',
  'skopeo',
  'gcc',
  'libc6-dev',
];

export async function missingPackages(names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const ok = await run('dpkg-query', ['-W', '-f=${Status}', name]).then(
      (s) => s.includes('install ok installed'),
      () => false,
    );
    if (!ok) missing.push(name);
  }
  return missing;
}

/** Installs what is missing of names; throws with apt's words when it cannot. */
export async function ensurePackages(names: readonly string[]): Promise<string[]> {
  const missing = await missingPackages(names);
  if (missing.length === 0) return [];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-y', '-q', '--no-install-recommends'];
  const first = await tryRun('apt-get', [...apt, 'install', ...missing], {
    env,
    timeoutMs: 900_000,
  });
  if (!first) {
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', '-q', 'update'], {
      env,
      timeoutMs: 900_000,
    });
    await run('apt-get', [...apt, 'install', ...missing], { env, timeoutMs: 900_000 });
  }
  const still = await missingPackages(missing);
  if (still.length > 0) throw new Error(`could not install Debian packages: ${still.join(' ')}`);
  return missing;
}
