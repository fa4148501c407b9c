// Small OCI images built offline from files on this machine, with umoci (layout, layer, config)
// and pushed with skopeo to a plain-HTTP registry.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../host/run';

export interface ImageFile {
  /** Path inside the image, absolute. */
  path: string;
  /** Copy this host file... */
  from?: string;
  /** ...or write this content. */
  content?: string;
  mode?: number;
}

export interface ImageSpec {
  files: ImageFile[];
  symlinks?: { path: string; target: string }[];
  dirs?: { path: string; mode: number }[];
  entrypoint: string[];
  cmd?: string[];
  env?: string[];
  exposedPorts?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
}

/** Builds spec into an OCI layout at layoutDir under tag (the layout is made afresh). */
export async function buildOciImage(
  layoutDir: string,
  tag: string,
  spec: ImageSpec,
): Promise<void> {
  const bundle = `${layoutDir}.bundle`;
  await fs.rm(layoutDir, { recursive: true, force: true });
  await fs.rm(bundle, { recursive: true, force: true });
  await fs.mkdir(dirname(layoutDir), { recursive: true });
  const image = `${layoutDir}:${tag}`;
  await run('umoci', ['init', '--layout', layoutDir]);
  await run('umoci', ['new', '--image', image]);
  await run('umoci', ['unpack', '--image', image, bundle]);
  const rootfs = join(bundle, 'rootfs');
  for (const d of spec.dirs ?? []) {
    await fs.mkdir(join(rootfs, d.path), { recursive: true });
    await fs.chmod(join(rootfs, d.path), d.mode);
  }
  for (const f of spec.files) {
    const target = join(rootfs, f.path);
    await fs.mkdir(dirname(target), { recursive: true });
    if (f.from) await fs.copyFile(f.from, target);
    else await fs.writeFile(target, f.content ?? '');
    await fs.chmod(target, f.mode ?? 0o644);
  }
  for (const l of spec.symlinks ?? []) {
    const at = join(rootfs, l.path);
    await fs.mkdir(dirname(at), { recursive: true });
    await fs.symlink(l.target, at);
  }
  await run('umoci', ['repack', '--image', image, bundle]);
  const config = ['config', '--image', image, '--os', 'linux', '--architecture', 'amd64'];
  for (const e of spec.entrypoint) config.push('--config.entrypoint', e);
  for (const c of spec.cmd ?? []) config.push('--config.cmd', c);
  for (const e of spec.env ?? ['PATH=/bin:/sbin:/usr/bin:/usr/sbin'])
    config.push('--config.env', e);
  for (const p of spec.exposedPorts ?? []) config.push('--config.exposedports', p);
  for (const [k, v] of Object.entries(spec.labels ?? {}))
    config.push('--config.label', `${k}=${v}`);
  if (spec.workingDir) config.push('--config.workingdir', spec.workingDir);
  await run('umoci', config);
  await run('umoci', ['gc', '--layout', layoutDir]);
  await fs.rm(bundle, { recursive: true, force: true });
}

/** Pushes layoutDir:tag to registry (host:port) as repository:repoTag over plain HTTP. */
export async function pushOciImage(
  layoutDir: string,
  tag: string,
  registry: string,
  reference: string,
): Promise<void> {
  await run('skopeo', [
    'copy',
    '--quiet',
    '--insecure-policy',
    '--dest-tls-verify=false',
    `oci:${layoutDir}:${tag}`,
    `docker://${registry}/${reference}`,
  ]);
}
