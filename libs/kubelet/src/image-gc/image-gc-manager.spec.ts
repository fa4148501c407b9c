import { Registry } from 'prom-client';
import { MemoryNodeEvents } from '../node/node-events';
import type { ContainerConfig, SandboxConfig } from '../runtime/runtime';
import { FakeRuntime } from '../runtime/fake/fake-runtime';
import { FakeNode } from '../testing/fake-node';
import { pod } from '../testing/fixtures';
import { ManualClock } from '../util/clock';
import { silentLogger, type Logger } from '../util/logger';
import { ImageGcManager, type ImageGcOptions } from './image-gc-manager';
import { imageGcMetrics } from './image-gc-metrics';
import {
  DEFAULT_IMAGE_GC_POLICY,
  imageGcPolicyProblems,
  type ImageGcPolicy,
} from './image-gc-policy';

const MiB = 2 ** 20;
const MINUTE = 60_000;
const PAUSE = 'docker.io/flotilla/pause:3.9';

function sandboxConfig(name: string): SandboxConfig {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    labels: {},
    annotations: {},
    linux: { securityContext: { namespaceOptions: { network: 'pod' } } },
  } as unknown as SandboxConfig;
}

function containerConfig(image: string): ContainerConfig {
  return {
    metadata: { name: 'app', attempt: 0 },
    image,
    labels: {},
    annotations: {},
    logPath: 'app.log',
  } as unknown as ContainerConfig;
}

/** A container of a pod of its own using image: running, or exited with exit. */
async function runContainer(
  runtime: FakeRuntime,
  image: string,
  state: 'running' | 'exited',
): Promise<string> {
  const config = sandboxConfig(`pod-${image.replace(/[^a-z0-9]/g, '')}`);
  const sb = await runtime.runSandbox(config);
  const id = await runtime.createContainer(sb, containerConfig(image));
  await runtime.startContainer(id);
  if (state === 'exited') await runtime.stopContainer(id, 0);
  return id;
}

class Harness {
  readonly clock = new ManualClock();
  readonly runtime = new FakeRuntime({ clock: this.clock });
  readonly events = new MemoryNodeEvents();
  readonly logs: { msg: string; fields?: Record<string, unknown> }[] = [];
  readonly registry = new Registry();
  readonly logger: Logger = {
    ...silentLogger,
    info: (msg, fields) => this.logs.push({ msg, fields }),
    error: (msg, fields) => this.logs.push({ msg, fields }),
  };
  gc: ImageGcManager;

  constructor(policy: Partial<ImageGcPolicy> = {}, extra: Partial<ImageGcOptions> = {}) {
    // 100 MiB disk, 70 MiB of it not images: each 5 MiB image is 5 percent.
    this.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 70 * MiB });
    this.runtime.addImage(PAUSE, { size: MiB });
    this.gc = this.manager(policy, extra);
  }

  manager(policy: Partial<ImageGcPolicy> = {}, extra: Partial<ImageGcOptions> = {}) {
    return new ImageGcManager({
      runtime: this.runtime,
      policy: { ...DEFAULT_IMAGE_GC_POLICY, ...policy },
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      sandboxImage: PAUSE,
      metrics: imageGcMetrics(this.registry),
      ...extra,
    });
  }

  add(image: string, size = 5 * MiB): void {
    this.runtime.addImage(image, { size });
  }

  async names(): Promise<string[]> {
    return (await this.runtime.listImages()).map((i) => i.repoTags[0]).sort();
  }

  async collected(reason: 'age' | 'space'): Promise<number> {
    const metric = await this.registry
      .getSingleMetric('kubelet_image_garbage_collected_total')!
      .get();
    return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  }
}

const lib = (name: string) => `docker.io/library/${name}:latest`;

describe('image garbage collection: policy', () => {
  it('has the kubelet defaults: 85 / 80 percent, 2 minutes minimum age, no maximum age, every 5 minutes', () => {
    expect(DEFAULT_IMAGE_GC_POLICY).toEqual({
      highThresholdPercent: 85,
      lowThresholdPercent: 80,
      minAgeMs: 2 * MINUTE,
      maxAgeMs: 0,
      periodMs: 5 * MINUTE,
    });
    expect(imageGcPolicyProblems(DEFAULT_IMAGE_GC_POLICY)).toEqual([]);
  });

  it.each([
    [
      { highThresholdPercent: 101 },
      '--image-gc-high-threshold 101 must be a whole number from 0 to 100',
    ],
    [
      { lowThresholdPercent: -1 },
      '--image-gc-low-threshold -1 must be a whole number from 0 to 100',
    ],
    [
      { lowThresholdPercent: 85 },
      '--image-gc-low-threshold 85 must be less than --image-gc-high-threshold 85',
    ],
    [
      { lowThresholdPercent: 90 },
      '--image-gc-low-threshold 90 must be less than --image-gc-high-threshold 85',
    ],
    [{ maxAgeMs: -1 }, '--image-maximum-gc-age must not be negative'],
    [
      { maxAgeMs: MINUTE },
      '--image-maximum-gc-age must be greater than --minimum-image-ttl-duration',
    ],
    [{ minAgeMs: -5 }, '--minimum-image-ttl-duration must not be negative'],
    [{ periodMs: 0 }, '--image-gc-period must be positive'],
  ])('rejects %j', (change, problem) => {
    expect(imageGcPolicyProblems({ ...DEFAULT_IMAGE_GC_POLICY, ...change })).toContain(problem);
    expect(() => new Harness(change)).toThrow(problem);
  });

  it('accepts a high threshold of 100 and then never looks at the runtime', async () => {
    const h = new Harness({ highThresholdPercent: 100, minAgeMs: 0 });
    h.add('a');
    h.runtime.setImageFs({ capacityBytes: 10 * MiB, otherBytes: 9 * MiB });
    const calls = h.runtime.calls.length;
    h.gc.start();
    h.clock.advance(60 * MINUTE);
    await new Promise((r) => setImmediate(r));
    expect(h.gc.disabled).toBe(true);
    expect(h.runtime.calls.length).toBe(calls);
    expect(await h.names()).toContain(lib('a'));
  });
});

describe('image garbage collection: space', () => {
  it('does nothing below the high threshold', async () => {
    const h = new Harness({ minAgeMs: 0 });
    h.add('a');
    h.add('b'); // 70 + 1 + 10 = 81 % < 85 %
    const r = await h.gc.garbageCollect();
    expect(r).toEqual({ usagePercent: 81, wantedBytes: 0, freedBytes: 0, removed: [] });
    expect(h.runtime.calls).not.toContain('RemoveImage');
  });

  it('at the high threshold removes least recently used images until the low threshold', async () => {
    const h = new Harness({ minAgeMs: 0 });
    // a, b and c detected a minute apart on a roomy disk; b is used until the fourth pass.
    h.runtime.setImageFs({ capacityBytes: 1000 * MiB });
    h.add('a');
    await h.gc.garbageCollect();
    h.clock.advance(MINUTE);
    h.add('b');
    const b = await runContainer(h.runtime, 'b', 'exited');
    await h.gc.garbageCollect();
    h.clock.advance(MINUTE);
    h.add('c');
    await h.gc.garbageCollect();
    h.clock.advance(MINUTE);
    await h.gc.garbageCollect();
    await h.runtime.removeContainer(b);
    h.clock.advance(MINUTE);
    h.add('d');
    // 70 + 1 + 20 = 91 %: free 11 MiB to reach 80 %, three images of 5 MiB
    h.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 70 * MiB });
    const r = await h.gc.garbageCollect();
    expect(r.usagePercent).toBe(91);
    expect(r.wantedBytes).toBe(11 * MiB);
    // a (detected first, never used), c (detected before b's last use), b; d is the newest.
    expect(r.removed.map((x) => x.name)).toEqual([lib('a'), lib('c'), lib('b')]);
    expect(r.removed.every((x) => x.reason === 'space')).toBe(true);
    expect(r.freedBytes).toBe(15 * MiB);
    expect(await h.names()).toEqual([PAUSE, lib('d')]);
    expect(h.events.events).toEqual([]);
    expect(await h.collected('space')).toBe(3);
    const removals = h.logs.filter((l) => l.msg === 'removing image');
    expect(removals.map((l) => l.fields?.image)).toEqual([lib('a'), lib('c'), lib('b')]);
    expect(removals[0].fields).toMatchObject({ size: 5 * MiB, reason: 'space' });
  });

  it('stops as soon as enough is freed', async () => {
    const h = new Harness({ minAgeMs: 0 });
    h.runtime.setImageFs({ capacityBytes: 1000 * MiB });
    for (const name of ['a', 'b', 'c']) {
      h.add(name);
      h.clock.advance(1000);
      await h.gc.garbageCollect();
    }
    h.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 70 * MiB - 2 * MiB + 69 * 1024 });
    // 70 - 2 + 1 + 15 = 84 % + a little → 85 %: frees the 5 % above 80 % with one image.
    const r = await h.gc.garbageCollect();
    expect(r.usagePercent).toBe(85);
    expect(r.removed.map((x) => x.name)).toEqual([lib('a')]);
    expect(await h.names()).toEqual([PAUSE, lib('b'), lib('c')]);
  });

  it('keeps images any container uses, running or exited, and the sandbox image', async () => {
    const h = new Harness({ minAgeMs: 0, highThresholdPercent: 1, lowThresholdPercent: 0 });
    h.add('running');
    h.add('exited');
    h.add('unused');
    await runContainer(h.runtime, 'running', 'running');
    await runContainer(h.runtime, 'exited', 'exited');
    await expect(h.gc.garbageCollect()).rejects.toThrow(
      /Attempted to free \d+ bytes, but only found 5242880 bytes eligible to free/,
    );
    expect(await h.names()).toEqual([PAUSE, lib('exited'), lib('running')]);
  });

  it('keeps the sandbox image the runtime names, even when it is not the configured one', async () => {
    const h = new Harness();
    const runtime = new FakeRuntime({ clock: h.clock, sandboxImage: 'registry.local/pause:3.10' });
    runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 90 * MiB });
    runtime.addImage(PAUSE, { size: MiB });
    runtime.addImage('registry.local/pause:3.10', { size: MiB });
    runtime.addImage('other', { size: MiB });
    const gc = h.manager({ minAgeMs: 0 }, { runtime });
    await gc.collectAndReport();
    expect((await runtime.listImages()).map((i) => i.repoTags[0]).sort()).toEqual([
      PAUSE,
      'registry.local/pause:3.10',
    ]);
  });

  it('keeps images the runtime pins', async () => {
    const h = new Harness({ minAgeMs: 0, highThresholdPercent: 1, lowThresholdPercent: 0 });
    h.runtime.addImage('pinned', { size: 5 * MiB, pinned: true });
    h.add('plain');
    await h.gc.collectAndReport();
    expect(await h.names()).toEqual([PAUSE, lib('pinned')]);
  });

  it('keeps images younger than the minimum age, and takes them once they are old enough', async () => {
    const h = new Harness({ highThresholdPercent: 1, lowThresholdPercent: 0 });
    h.add('old');
    await h.gc.collectAndReport(); // detected now: too young
    expect(await h.names()).toEqual([PAUSE, lib('old')]);
    h.clock.advance(MINUTE);
    h.add('young');
    h.clock.advance(MINUTE); // old: 2 minutes; young: detected by this pass
    await h.gc.collectAndReport();
    expect(await h.names()).toEqual([PAUSE, lib('young')]);
    h.clock.advance(2 * MINUTE - 1000);
    await h.gc.collectAndReport();
    expect(await h.names()).toEqual([PAUSE, lib('young')]);
    h.clock.advance(1000);
    await h.gc.collectAndReport();
    expect(await h.names()).toEqual([PAUSE]);
    // Never enough (the thresholds ask for everything), so each pass says so.
    expect(h.events.reasons()).toContain('FreeDiskSpaceFailed');
  });

  it('records FreeDiskSpaceFailed when it cannot free enough, and ImageGCFailed when it fails again', async () => {
    const h = new Harness({ minAgeMs: 0 });
    h.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 95 * MiB });
    h.add('a');
    h.add('b');
    await runContainer(h.runtime, 'b', 'running');
    expect(await h.gc.collectAndReport()).toBeUndefined();
    expect(h.events.events).toEqual([
      {
        type: 'Warning',
        reason: 'FreeDiskSpaceFailed',
        message:
          'Failed to garbage collect required amount of images. Attempted to free 20971520 bytes, but only found 5242880 bytes eligible to free.',
      },
    ]);
    expect(await h.names()).toEqual([PAUSE, lib('b')]);
    // The first failure is only logged; the second in a row is also an ImageGCFailed event.
    await h.gc.collectAndReport();
    expect(h.events.reasons()).toEqual([
      'FreeDiskSpaceFailed',
      'FreeDiskSpaceFailed',
      'ImageGCFailed',
    ]);
    expect(h.events.events[2].message).toMatch(/^Failed to garbage collect/);
    // A success resets the count.
    h.runtime.setImageFs({ capacityBytes: 100 * MiB });
    await h.gc.collectAndReport();
    h.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 95 * MiB });
    await h.gc.collectAndReport();
    expect(h.events.reasons().filter((r) => r === 'ImageGCFailed')).toHaveLength(1);
  });

  it('reports a filesystem of no capacity as InvalidDiskCapacity', async () => {
    const h = new Harness();
    h.runtime.setImageFs({ capacityBytes: 0 });
    await expect(h.gc.garbageCollect()).rejects.toThrow('invalid capacity 0 on image filesystem');
    expect(h.events.reasons()).toEqual(['InvalidDiskCapacity']);
  });

  it('a failed removal fails the pass but the others still go', async () => {
    const h = new Harness({ minAgeMs: 0, highThresholdPercent: 1, lowThresholdPercent: 0 });
    h.add('a');
    h.add('b');
    const remove = h.runtime.removeImage.bind(h.runtime);
    h.runtime.removeImage = async (image) => {
      const info = await h.runtime.imageStatus(lib('a'));
      if (image === info?.id) throw new Error('RemoveImage: device busy');
      return remove(image);
    };
    await expect(h.gc.garbageCollect()).rejects.toThrow(
      /freed 5242880 bytes with errors removing images: RemoveImage: device busy/,
    );
    expect(await h.names()).toEqual([PAUSE, lib('a')]);
  });

  it('counts usage from the filesystem the runtime names (statfs of its mountpoint)', async () => {
    const h = new Harness({ minAgeMs: 0 });
    h.add('a');
    const gc = h.manager(
      { minAgeMs: 0 },
      {
        fsStats: async () => ({
          mountpoint: '/x',
          capacityBytes: 1000,
          availableBytes: 2000, // more than capacity: treated as all free
          imagesBytes: 0,
        }),
      },
    );
    expect((await gc.garbageCollect()).usagePercent).toBe(0);
  });
});

describe('image garbage collection: maximum age', () => {
  it('removes images unused for longer than the maximum age whatever the usage', async () => {
    const h = new Harness({ maxAgeMs: 10 * MINUTE });
    h.add('idle');
    h.add('busy');
    const busy = await runContainer(h.runtime, 'busy', 'running');
    await h.gc.garbageCollect();
    h.clock.advance(8 * MINUTE);
    await h.gc.garbageCollect(); // busy last seen in use 8 minutes in
    await h.runtime.stopContainer(busy, 0);
    await h.runtime.removeContainer(busy);
    h.clock.advance(3 * MINUTE);
    const r = await h.gc.garbageCollect();
    expect(r.removed).toEqual([
      expect.objectContaining({ name: lib('idle'), reason: 'age', size: 5 * MiB }),
    ]);
    expect(await h.names()).toEqual([PAUSE, lib('busy')]);
    h.clock.advance(8 * MINUTE);
    expect((await h.gc.garbageCollect()).removed.map((x) => x.name)).toEqual([lib('busy')]);
    expect(await h.names()).toEqual([PAUSE]); // the sandbox image stays, however old
    expect(await h.collected('age')).toBe(2);
  });

  it('is off at 0', async () => {
    const h = new Harness();
    h.add('idle');
    await h.gc.garbageCollect();
    h.clock.advance(1000 * MINUTE);
    expect((await h.gc.garbageCollect()).removed).toEqual([]);
  });
});

describe('image garbage collection: the loop', () => {
  it('runs at start and then every period', async () => {
    const h = new Harness({ minAgeMs: 0, periodMs: 5 * MINUTE });
    h.runtime.setImageFs({ capacityBytes: 100 * MiB, otherBytes: 90 * MiB });
    h.add('a');
    h.gc.start();
    await new Promise((r) => setImmediate(r));
    expect(await h.names()).toEqual([PAUSE]);
    h.add('b');
    h.clock.advance(4 * MINUTE);
    await new Promise((r) => setImmediate(r));
    expect(await h.names()).toEqual([PAUSE, lib('b')]);
    h.clock.advance(MINUTE);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(await h.names()).toEqual([PAUSE]);
    h.gc.stop();
    expect(h.clock.timers).toBe(0);
  });

  it('runs on a hollow node: a pod image stays while the pod runs and goes after it is deleted', async () => {
    const node = new FakeNode();
    const events = new MemoryNodeEvents();
    const gc = new ImageGcManager({
      runtime: node.runtime,
      policy: { ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: 1, lowThresholdPercent: 0 },
      clock: node.clock,
      logger: silentLogger,
      events,
    });
    try {
      await node.start();
      const web = pod({ containers: [{ name: 'app', image: 'flotilla/demo-web:1' }] });
      node.kubelet.setPods([web]);
      await node.settle();
      expect(node.status(web).phase).toBe('Running');
      await node.advance(3 * MINUTE, 60_000);
      await gc.collectAndReport();
      const images = async () => (await node.runtime.listImages()).map((i) => i.repoTags[0]);
      expect(await images()).toEqual(['docker.io/flotilla/demo-web:1']);
      node.kubelet.setPods([]);
      await node.advance(60_000);
      expect(node.terminated).toEqual(['web']);
      await gc.collectAndReport();
      expect(await images()).toEqual(['docker.io/flotilla/demo-web:1']); // younger than 2 minutes
      await node.advance(2 * MINUTE, 60_000);
      await gc.collectAndReport();
      expect(await images()).toEqual([]);
    } finally {
      gc.stop();
      node.cleanup();
    }
  });
});
