// The images every Flotilla cluster has without internet: a pause image for pod sandboxes (our own
// small static program) and flotilla/demo-web (busybox: a shell, nc and friends, and an httpd that
// answers GET / with the pod's hostname). Built with the host's gcc and busybox-static, cached by
// the hash of their inputs, pushed to the local registry.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run } from '../host/run';
import { buildOciImage, ImageSpec, pushOciImage } from './oci-builder';

export const PAUSE_IMAGE = 'flotilla/pause:3.9';
export const DEMO_WEB_IMAGE = 'flotilla/demo-web:latest';
/** How containerd names the pause image: docker.io, which the workers mirror locally. */
export const SANDBOX_IMAGE = `docker.io/${PAUSE_IMAGE}`;

/**
 * The sandbox's first process: it holds the pod's namespaces, reaps zombies (PID 1 of a shared
 * PID namespace), and ends on SIGINT or SIGTERM.
 */
export const PAUSE_SOURCE = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction on_stop = {.sa_handler = stop};
  struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGINT, &on_stop, 0);
  sigaction(SIGTERM, &on_stop, 0);
  sigaction(SIGCHLD, &on_child, 0);
  for (;;) pause();
}
`;

const DEMO_START = 'hostname > /www/index.html && exec httpd -f -p 80 -h /www';

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

export interface BuiltImage {
  /** Repository and tag in the registry, e.g. flotilla/demo-web:latest. */
  reference: string;
  layoutDir: string;
  tag: string;
}

async function fileHash(path: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(path))
    .digest('hex');
}

async function cached(dir: string, key: string, build: () => Promise<void>): Promise<boolean> {
  const stamp = join(dir, 'flotilla-input-hash');
  const have = await fs.readFile(stamp, 'utf8').catch(() => '');
  if (have === key) return false;
  await build();
  await fs.writeFile(stamp, key);
  return true;
}

async function buildPause(cacheDir: string): Promise<BuiltImage> {
  const layoutDir = join(cacheDir, 'pause');
  const key = createHash('sha256').update(PAUSE_SOURCE).update('v1').digest('hex');
  await cached(layoutDir, key, async () => {
    const work = join(cacheDir, 'pause-src');
    await fs.mkdir(work, { recursive: true });
    await fs.writeFile(join(work, 'pause.c'), PAUSE_SOURCE);
    await run('gcc', ['-Os', '-static', '-s', '-o', join(work, 'pause'), join(work, 'pause.c')]);
    await buildOciImage(layoutDir, 'pause', {
      files: [{ path: '/pause', from: join(work, 'pause'), mode: 0o755 }],
      entrypoint: ['/pause'],
      labels: { 'org.opencontainers.image.title': 'flotilla pause' },
    });
  });
  return { reference: PAUSE_IMAGE, layoutDir, tag: 'pause' };
}

async function buildDemoWeb(cacheDir: string, busybox: string): Promise<BuiltImage> {
  const layoutDir = join(cacheDir, 'demo-web');
  const key = createHash('sha256')
    .update(await fileHash(busybox))
    .update(DEMO_START)
    .update('v1')
    .digest('hex');
  await cached(layoutDir, key, async () => {
    const applets = (await run(busybox, ['--list']))
      .split('\n')
      .filter((a) => a && a !== 'busybox');
    const spec: ImageSpec = {
      files: [
        { path: '/bin/busybox', from: busybox, mode: 0o755 },
        { path: '/etc/passwd', content: PASSWD },
        { path: '/etc/group', content: GROUP },
        { path: '/www/index.html', content: 'flotilla demo-web\n' },
      ],
      symlinks: applets.map((a) => ({ path: `/bin/${a}`, target: 'busybox' })),
      dirs: [
        { path: '/tmp', mode: 0o1777 },
        { path: '/root', mode: 0o700 },
        { path: '/www', mode: 0o755 },
      ],
      entrypoint: ['/bin/sh', '-c', DEMO_START],
      exposedPorts: ['80/tcp'],
      workingDir: '/',
      labels: { 'org.opencontainers.image.title': 'flotilla demo-web' },
    };
    await buildOciImage(layoutDir, 'demo-web', spec);
  });
  return { reference: DEMO_WEB_IMAGE, layoutDir, tag: 'demo-web' };
}

export interface BuildOptions {
  /** Where layouts are built and cached. */
  cacheDir: string;
  busybox?: string;
}

/** Builds (or reuses) the pause and demo-web images. */
export async function buildWorkerImages(options: BuildOptions): Promise<BuiltImage[]> {
  await fs.mkdir(options.cacheDir, { recursive: true });
  return [
    await buildPause(options.cacheDir),
    await buildDemoWeb(options.cacheDir, options.busybox ?? '/bin/busybox'),
  ];
}

/** Builds the images and pushes them to registry (host:port). */
export async function publishWorkerImages(
  options: BuildOptions & { registry: string },
): Promise<string[]> {
  const images = await buildWorkerImages(options);
  for (const image of images) {
    await pushOciImage(image.layoutDir, image.tag, options.registry, image.reference);
  }
  return images.map((i) => i.reference);
}
