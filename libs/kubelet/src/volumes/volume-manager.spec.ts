import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically } from './atomic-writer';
import { MemoryMounter } from './mounter';
import { VolumeError, VolumeManager } from './volume-manager';
import { MemoryObjectSource } from '../pod/object-source';
import { pod } from '../testing/fixtures';

const placement = {
  hostIP: '10.231.0.1',
  hostIPs: ['10.231.0.1'],
  podIP: '10.88.0.2',
  podIPs: ['10.88.0.2'],
};
const node = { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, ephemeralStorageBytes: 10 * 2 ** 30 };

function file(text: string, mode = 0o644) {
  return { data: Buffer.from(text), mode };
}

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-aw-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('shows each file through ..data and swaps the whole set on change', async () => {
    expect(
      await writeAtomically(
        dir,
        new Map([
          ['a', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
    ).toBe(true);
    expect(await fs.readlink(join(dir, 'a'))).toBe('..data/a');
    expect(await fs.readFile(join(dir, 'sub/b'), 'utf8')).toBe('2');
    const first = await fs.readlink(join(dir, '..data'));

    expect(
      await writeAtomically(
        dir,
        new Map([
          ['a', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
    ).toBe(false);
    expect(await fs.readlink(join(dir, '..data'))).toBe(first);

    expect(await writeAtomically(dir, new Map([['a', file('changed', 0o600)]]))).toBe(true);
    const second = await fs.readlink(join(dir, '..data'));
    expect(second).not.toBe(first);
    expect(await fs.readFile(join(dir, 'a'), 'utf8')).toBe('changed');
    expect((await fs.stat(join(dir, 'a'))).mode & 0o777).toBe(0o600);
    const entries = (await fs.readdir(dir)).sort();
    expect(entries).toEqual(['..data', second, 'a'].sort());
  });

  it('refuses paths that would leave the volume', async () => {
    await expect(writeAtomically(dir, new Map([['../x', file('')]]))).rejects.toThrow(
      /invalid path/,
    );
    await expect(writeAtomically(dir, new Map([['/etc/x', file('')]]))).rejects.toThrow(
      /invalid path/,
    );
  });
});

describe('VolumeManager', () => {
  let root: string;
  let objects: MemoryObjectSource;
  let mounter: MemoryMounter;
  let volumes: VolumeManager;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kubelet-vol-'));
    objects = new MemoryObjectSource();
    mounter = new MemoryMounter();
    volumes = new VolumeManager({ rootDir: root, objects, mounter, node, secretsInMemory: true });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const meta = { labels: { app: 'web', tier: 'front' } };

  it('writes configMap, secret, downwardAPI and projected volumes and updates them in place', async () => {
    objects.put({
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hello' },
    });
    objects.put({
      kind: 'Secret',
      metadata: { name: 'sec', namespace: 'default' },
      data: { password: Buffer.from('s3cret').toString('base64') },
    });
    const p = pod(
      {
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          {
            name: 'sec',
            secret: {
              secretName: 'sec',
              items: [{ key: 'password', path: 'pw/pass', mode: 0o400 }],
            },
          },
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
                {
                  path: 'mem',
                  resourceFieldRef: {
                    containerName: 'app',
                    resource: 'limits.memory',
                    divisor: '1Mi',
                  },
                },
              ],
            },
          },
          {
            name: 'all',
            projected: {
              sources: [
                { configMap: { name: 'cfg' } },
                {
                  downwardAPI: {
                    items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }],
                  },
                },
              ],
            },
          },
          { name: 'scratch', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory' } },
        ],
      },
      meta,
    );
    const paths = await volumes.setUp(p, placement);
    const read = (v: string, f: string) => fs.readFile(join(paths.get(v)!, f), 'utf8');
    expect(await read('cfg', 'greeting')).toBe('hello');
    expect(await read('sec', 'pw/pass')).toBe('s3cret');
    expect((await fs.stat(join(paths.get('sec')!, 'pw/pass'))).mode & 0o777).toBe(0o400);
    expect(await read('info', 'labels')).toBe('app="web"\ntier="front"');
    expect(await read('info', 'ip')).toBe('10.88.0.2');
    expect(await read('info', 'mem')).toBe('4096');
    expect(await read('all', 'greeting')).toBe('hello');
    expect(await read('all', 'name')).toBe('web');
    expect(paths.get('scratch')).toBe(
      join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch'),
    );
    expect(mounter.mounted).toEqual(new Set([paths.get('sec'), paths.get('mem')]));

    objects.put({
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'bonjour' },
    });
    await volumes.setUp(p, placement);
    expect(await read('cfg', 'greeting')).toBe('bonjour');
    expect(await read('all', 'greeting')).toBe('bonjour');

    await volumes.tearDown('uid-1');
    expect(mounter.mounted.size).toBe(0);
    await expect(fs.stat(join(root, 'pods/uid-1'))).rejects.toThrow();
  });

  it('says which volume waits for which missing object; optional ones are empty', async () => {
    const missing = pod({ volumes: [{ name: 'cfg', configMap: { name: 'nope' } }] });
    await expect(volumes.setUp(missing, placement)).rejects.toThrow(
      new VolumeError('cfg', 'configmap "nope" not found'),
    );
    await expect(volumes.setUp(missing, placement)).rejects.toThrow(
      'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found',
    );
    const optional = pod({
      volumes: [{ name: 'cfg', configMap: { name: 'nope', optional: true } }],
    });
    const paths = await volumes.setUp(optional, placement);
    const entries = await fs.readdir(paths.get('cfg')!);
    expect(entries).toHaveLength(2);
    expect(entries).toContain('..data');
  });

  it('checks and creates hostPath volumes by type', async () => {
    const made = join(root, 'made');
    const p = pod({
      volumes: [{ name: 'h', hostPath: { path: made, type: 'DirectoryOrCreate' } }],
    });
    expect((await volumes.setUp(p, placement)).get('h')).toBe(made);
    expect((await fs.stat(made)).isDirectory()).toBe(true);
    const wrong = pod({ volumes: [{ name: 'h', hostPath: { path: made, type: 'File' } }] });
    await expect(volumes.setUp(wrong, placement)).rejects.toThrow(/is not a file/);
  });
});
