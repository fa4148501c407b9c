// Image garbage collection on a real worker: containerd through CRI (ImageFsInfo, ListImages,
// ListContainers, RemoveImage). The agent runs with thresholds that always ask for space (high 1 %,
// low 0 %) and a short period; two pods pull two images; once one pod is deleted its image goes,
// while the image the other pod uses and the pause image stay. Runs as root.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import { buildOciImage, pushOciImage } from '../../libs/kubelet/src/images/oci-builder';
import { SANDBOX_IMAGE } from '../../libs/kubelet/src/images/worker-images';
import { readImageFsStats } from '../../libs/kubelet/src/image-gc/image-fs-stats';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { condition, createLab, eventually } from './support/lab';

const SPARE_IMAGE = 'flotilla/gc-spare:1';
const DEMO = 'docker.io/flotilla/demo-web:latest';
const SPARE = `docker.io/${SPARE_IMAGE}`;

let lab: WorkerLab;

beforeAll(async () => {
  lab = await createLab(1);
  // A second image, different from demo-web: busybox sleeping.
  const layout = join(lab.options.dir, 'gc-spare');
  await buildOciImage(layout, 'gc-spare', {
    files: [
      { path: '/bin/busybox', from: '/bin/busybox', mode: 0o755 },
      { path: '/gc-spare', content: 'an image to collect\n' },
    ],
    entrypoint: ['/bin/busybox', 'sleep', '3600'],
  });
  await pushOciImage(layout, 'gc-spare', lab.registry, SPARE_IMAGE);
  await lab.startAgent('w1', {
    args: [
      ...['--image-gc-high-threshold', '1'],
      ...['--image-gc-low-threshold', '0'],
      // Long enough that a pulled image is never taken before its container is created.
      ...['--minimum-image-ttl-duration', '15s'],
      ...['--image-gc-period', '2s'],
    ],
  });
}, 300_000);

afterAll(async () => {
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

async function apply(file: string, yaml: string): Promise<void> {
  const dir = lab.manifestDir('w1');
  await fs.writeFile(join(dir, `.${file}.tmp`), yaml);
  await fs.rename(join(dir, `.${file}.tmp`), join(dir, file));
}

async function running(name: string): Promise<Pod | undefined> {
  const pod = (await lab.pods('w1')).find((p) => p.metadata.name === `${name}-w1`);
  return pod?.status?.phase === 'Running' && condition(pod, 'Ready') === 'True' ? pod : undefined;
}

async function imageNames(): Promise<string[]> {
  return (await lab.cri('w1').listImages()).flatMap((i) => i.repoTags);
}

describe('image garbage collection on containerd', () => {
  it('reads the image filesystem through CRI ImageFsInfo', async () => {
    const [imageFs] = await lab.cri('w1').imageFsInfo();
    expect(imageFs.mountpoint).toContain(lab.options.dir);
    // containerd counts the images' bytes on its own schedule: only the type is certain here.
    expect(typeof imageFs.usedBytes).toBe('number');
    const stats = await readImageFsStats(lab.cri('w1'));
    expect(stats.capacityBytes).toBeGreaterThan(0);
    expect(stats.availableBytes).toBeLessThanOrEqual(stats.capacityBytes);
    // containerd's verbose status names its sandbox image, which the collector keeps as well.
    expect(await lab.cri('w1').sandboxImage()).toBe(SANDBOX_IMAGE);
  });

  it('removes the image of a deleted pod; keeps the one in use and the pause image', async () => {
    await apply(
      'web.yaml',
      `
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: flotilla/demo-web}]
`,
    );
    await apply(
      'spare.yaml',
      `
kind: Pod
metadata: {name: spare}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: sleep, image: ${SPARE_IMAGE}}]
`,
    );
    await eventually('web running', () => running('web'), 90_000);
    await eventually('spare running', () => running('spare'), 90_000);
    expect(await imageNames()).toEqual(expect.arrayContaining([DEMO, SPARE, SANDBOX_IMAGE]));

    await fs.rm(join(lab.manifestDir('w1'), 'spare.yaml'));
    await eventually(
      'the spare image removed',
      async () => ((await imageNames()).includes(SPARE) ? undefined : true),
      90_000,
      500,
    );
    // containerd 1.6 does not pin its sandbox image: the collector keeps it by name.
    expect(await imageNames()).toEqual(expect.arrayContaining([DEMO, SANDBOX_IMAGE]));
    expect(await running('web')).toBeDefined();

    const metrics = await (await fetch(`${lab.agentUrl('w1')}/metrics`)).text();
    expect(metrics).toMatch(
      /^kubelet_image_garbage_collected_total\{[^}]*reason="space"[^}]*\} 1$/m,
    );
    // The thresholds ask for more than can ever go: the kubelet says so, as Kubernetes does.
    const output = lab.agents.get('w1')!.output;
    expect(output).toContain('FreeDiskSpaceFailed');
    expect(output).toMatch(/removing image.*gc-spare/);
  });
});
