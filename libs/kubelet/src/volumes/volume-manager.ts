// The pod's volumes on the node: directories under <root>/pods/<uid>/volumes that containers
// mount. emptyDir (on disk, or tmpfs for medium Memory), configMap, secret, downwardAPI and
// projected (written atomically, rewritten on every sync when their sources change), hostPath.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseQuantity } from '@flotilla/api';
import { fieldRefValue, resourceFieldRefValue } from '../pod/downward-api';
import type { NodeAllocatable, PodPlacement } from '../pod/downward-api';
import { configMapBytes, secretBytes } from '../pod/object-source';
import type { ObjectSource } from '../pod/object-source';
import type { DownwardApiFile, KeyToPath, Pod, Volume, VolumeProjection } from '../pod/types';
import { FileToWrite, writeAtomically } from './atomic-writer';
import type { Mounter } from './mounter';
import { mountsUnder } from './mounter';

/** A volume cannot be set up yet (FailedMount); the pod waits. */
export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeError';
  }
}

/** Issues tokens for serviceAccountToken projections (the API side: TokenRequest). */
export type TokenSource = (
  pod: Pod,
  audience: string,
  expirationSeconds: number,
) => Promise<string>;

export interface VolumeManagerOptions {
  /** The kubelet's root directory (/var/lib/kubelet on a real node). */
  rootDir: string;
  objects: ObjectSource;
  mounter: Mounter;
  node: NodeAllocatable;
  /** Secrets in memory (tmpfs), as Kubernetes keeps them; off for unprivileged tests. */
  secretsInMemory: boolean;
  tokens?: TokenSource;
}

const DEFAULT_MODE = 0o644;

const PLUGIN_DIR: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

function pluginOf(v: Volume): string | undefined {
  return Object.keys(PLUGIN_DIR).find((k) => v[k as keyof Volume] !== undefined);
}

export class VolumeManager {
  constructor(private readonly options: VolumeManagerOptions) {}

  podDir(uid: string): string {
    return join(this.options.rootDir, 'pods', uid);
  }

  /**
   * Sets up (or refreshes) every volume of the pod; returns the host path of each by name.
   * Throws VolumeError for the first volume that cannot be set up.
   */
  async setUp(pod: Pod, placement: PodPlacement): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) {
      paths.set(v.name, await this.setUpOne(pod, v, placement));
    }
    return paths;
  }

  private async setUpOne(pod: Pod, v: Volume, placement: PodPlacement): Promise<string> {
    if (v.hostPath) return this.hostPath(v);
    const plugin = pluginOf(v);
    if (!plugin) throw new VolumeError(v.name, 'unsupported volume type');
    const dir = join(this.podDir(pod.metadata.uid), 'volumes', PLUGIN_DIR[plugin], v.name);
    await fs.mkdir(dir, { recursive: true, mode: 0o777 });
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory') {
        const size = parseQuantity(v.emptyDir.sizeLimit);
        await this.options.mounter.mountTmpfs(dir, size ? Math.ceil(size) : undefined);
      }
      // Any user of the pod may write to a scratch directory.
      await fs.chmod(dir, 0o777);
      return dir;
    }
    if (v.secret && this.options.secretsInMemory) await this.options.mounter.mountTmpfs(dir);
    const files = await this.payload(pod, v, placement);
    await writeAtomically(dir, files);
    return dir;
  }

  private async hostPath(v: Volume): Promise<string> {
    const { path, type = '' } = v.hostPath!;
    const st = await fs.stat(path).catch(() => undefined);
    const fail = (what: string) => {
      throw new VolumeError(v.name, `hostPath type check failed: ${path} is not ${what}`);
    };
    switch (type) {
      case 'DirectoryOrCreate':
        if (!st) await fs.mkdir(path, { recursive: true, mode: 0o755 });
        else if (!st.isDirectory()) fail('a directory');
        break;
      case 'FileOrCreate':
        if (!st) await fs.writeFile(path, '', { mode: 0o644 });
        else if (!st.isFile()) fail('a file');
        break;
      case 'Directory':
        if (!st?.isDirectory()) fail('a directory');
        break;
      case 'File':
        if (!st?.isFile()) fail('a file');
        break;
      case 'Socket':
        if (!st?.isSocket()) fail('a socket');
        break;
      case 'CharDevice':
        if (!st?.isCharacterDevice()) fail('a character device');
        break;
      case 'BlockDevice':
        if (!st?.isBlockDevice()) fail('a block device');
        break;
    }
    return path;
  }

  private async payload(
    pod: Pod,
    v: Volume,
    placement: PodPlacement,
  ): Promise<Map<string, FileToWrite>> {
    const out = new Map<string, FileToWrite>();
    const ns = pod.metadata.namespace;
    if (v.configMap) {
      const cm = await this.options.objects.configMap(ns, v.configMap.name);
      if (!cm && !v.configMap.optional) {
        throw new VolumeError(v.name, `configmap "${v.configMap.name}" not found`);
      }
      const data = cm ? configMapBytes(cm) : new Map<string, Buffer>();
      this.addKeys(
        out,
        v.name,
        'ConfigMap',
        `${ns}/${v.configMap.name}`,
        data,
        v.configMap.items,
        v.configMap.defaultMode,
        v.configMap.optional,
      );
    } else if (v.secret) {
      const s = await this.options.objects.secret(ns, v.secret.secretName);
      if (!s && !v.secret.optional) {
        throw new VolumeError(v.name, `secret "${v.secret.secretName}" not found`);
      }
      const data = s ? secretBytes(s) : new Map<string, Buffer>();
      this.addKeys(
        out,
        v.name,
        'Secret',
        `${ns}/${v.secret.secretName}`,
        data,
        v.secret.items,
        v.secret.defaultMode,
        v.secret.optional,
      );
    } else if (v.downwardAPI) {
      this.addDownward(
        out,
        v.name,
        pod,
        v.downwardAPI.items ?? [],
        v.downwardAPI.defaultMode,
        placement,
      );
    } else if (v.projected) {
      for (const source of v.projected.sources ?? []) {
        await this.addProjection(out, v.name, pod, source, v.projected.defaultMode, placement);
      }
    }
    return out;
  }

  private addKeys(
    out: Map<string, FileToWrite>,
    volume: string,
    kind: string,
    ref: string,
    data: Map<string, Buffer>,
    items: KeyToPath[] | undefined,
    defaultMode: number | undefined,
    optional: boolean | undefined,
  ): void {
    const mode = defaultMode ?? DEFAULT_MODE;
    if (!items || items.length === 0) {
      for (const [k, v] of data) out.set(k, { data: v, mode });
      return;
    }
    for (const item of items) {
      const value = data.get(item.key);
      if (value === undefined) {
        if (optional) continue;
        throw new VolumeError(
          volume,
          `configured to use key ${item.key} of ${kind} ${ref}, which does not exist`,
        );
      }
      out.set(item.path, { data: value, mode: item.mode ?? mode });
    }
  }

  private addDownward(
    out: Map<string, FileToWrite>,
    volume: string,
    pod: Pod,
    items: DownwardApiFile[],
    defaultMode: number | undefined,
    placement: PodPlacement,
  ): void {
    for (const item of items) {
      let text = '';
      try {
        if (item.fieldRef) text = fieldRefValue(pod, item.fieldRef, placement, true);
        else if (item.resourceFieldRef) {
          text = resourceFieldRefValue(pod, item.resourceFieldRef, undefined, this.options.node);
        }
      } catch (err) {
        throw new VolumeError(volume, (err as Error).message);
      }
      out.set(item.path, {
        data: Buffer.from(text),
        mode: item.mode ?? defaultMode ?? DEFAULT_MODE,
      });
    }
  }

  private async addProjection(
    out: Map<string, FileToWrite>,
    volume: string,
    pod: Pod,
    source: VolumeProjection,
    defaultMode: number | undefined,
    placement: PodPlacement,
  ): Promise<void> {
    const ns = pod.metadata.namespace;
    if (source.configMap) {
      const { name, items, optional } = source.configMap;
      const cm = await this.options.objects.configMap(ns, name);
      if (!cm && !optional) throw new VolumeError(volume, `configmap "${name}" not found`);
      this.addKeys(
        out,
        volume,
        'ConfigMap',
        `${ns}/${name}`,
        cm ? configMapBytes(cm) : new Map(),
        items,
        defaultMode,
        optional,
      );
    } else if (source.secret) {
      const { name, items, optional } = source.secret;
      const s = await this.options.objects.secret(ns, name);
      if (!s && !optional) throw new VolumeError(volume, `secret "${name}" not found`);
      this.addKeys(
        out,
        volume,
        'Secret',
        `${ns}/${name}`,
        s ? secretBytes(s) : new Map(),
        items,
        defaultMode,
        optional,
      );
    } else if (source.downwardAPI) {
      this.addDownward(out, volume, pod, source.downwardAPI.items ?? [], defaultMode, placement);
    } else if (source.serviceAccountToken) {
      const { path, audience = '', expirationSeconds = 3600 } = source.serviceAccountToken;
      if (!this.options.tokens) {
        throw new VolumeError(
          volume,
          'no token source for serviceAccountToken (needs the API server)',
        );
      }
      const token = await this.options.tokens(pod, audience, expirationSeconds);
      out.set(path, { data: Buffer.from(token), mode: defaultMode ?? 0o600 });
    }
  }

  /** Unmounts and removes everything the pod had on the node. */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    for (const m of await mountsUnder(dir).catch(() => [] as string[])) {
      await this.options.mounter.unmount(m);
    }
    await this.unmountRecorded(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }

  private async unmountRecorded(dir: string): Promise<void> {
    const volumes = join(dir, 'volumes');
    for (const plugin of await fs.readdir(volumes).catch(() => [] as string[])) {
      for (const name of await fs.readdir(join(volumes, plugin)).catch(() => [] as string[])) {
        const path = join(volumes, plugin, name);
        if (await this.options.mounter.isMountPoint(path)) await this.options.mounter.unmount(path);
      }
    }
  }

  /** Pod directories on disk, for cleaning up after pods that went away while the kubelet was down. */
  async podsOnDisk(): Promise<string[]> {
    return fs.readdir(join(this.options.rootDir, 'pods')).catch(() => []);
  }
}
