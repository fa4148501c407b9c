// Static pods from a manifest directory (the kubelet's --pod-manifest-path), with the ConfigMaps
// and Secrets they use when there is no API server to ask. Every file (*.yaml, *.yml, *.json, any
// number of documents) is read on each scan; a pod's uid is a hash of its manifest and the node,
// so an edited manifest replaces the pod, and a removed one stops it with its grace period. A file
// that does not parse or a pod that does not validate is reported and skipped; the rest keep
// running.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validatePodSpec } from '@flotilla/api';
import type { KubeObject } from '@flotilla/api';
import type { Logger } from '../util/logger';
import type { Pod } from '../pod/types';

export interface ManifestScan {
  pods: Pod[];
  objects: KubeObject[];
  /** One line per file or document that was skipped, with why. */
  problems: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A manifest document as a static pod of nodeName (or the reason it is not one). */
export function staticPod(
  doc: Record<string, unknown>,
  nodeName: string,
  source: string,
): Pod | string {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (!name) return `${source}: a Pod needs metadata.name`;
  const causes = validatePodSpec(doc.spec, 'spec');
  if (causes.length > 0) {
    return `${source}: pod ${name}: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`;
  }
  const hash = createHash('sha256').update(nodeName).update(JSON.stringify(doc)).digest('hex');
  const uid = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  const namespace =
    typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const spec = { ...(doc.spec as Record<string, unknown>), nodeName };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(meta as object),
      // As the kubelet names static pods: the node's name appended.
      name: `${name}-${nodeName}`,
      namespace,
      uid,
      annotations: {
        ...((isObject(meta.annotations) ? meta.annotations : {}) as Record<string, string>),
        'kubernetes.io/config.source': 'file',
        'kubernetes.io/config.hash': hash.slice(0, 32),
      },
    },
    spec: spec as unknown as Pod['spec'],
  } as Pod;
}

export async function scanManifests(dir: string, nodeName: string): Promise<ManifestScan> {
  const scan: ManifestScan = { pods: [], objects: [], problems: [] };
  const files = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.'))
    .sort();
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(join(dir, file), 'utf8');
    } catch (err) {
      scan.problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((d, i) => {
      const where = list.length > 1 ? `${file}#${i + 1}` : file;
      if (d.errors.length > 0) {
        scan.problems.push(`${where}: ${d.errors[0].message}`);
        return;
      }
      const value = d.toJS() as unknown;
      if (value === null || value === undefined) return;
      if (!isObject(value)) {
        scan.problems.push(`${where}: not an object`);
        return;
      }
      if (value.kind === 'Pod') {
        const pod = staticPod(value, nodeName, where);
        if (typeof pod === 'string') scan.problems.push(pod);
        else scan.pods.push(pod);
      } else if (value.kind === 'ConfigMap' || value.kind === 'Secret') {
        const meta = isObject(value.metadata) ? value.metadata : {};
        if (typeof meta.name !== 'string' || !meta.name) {
          scan.problems.push(`${where}: a ${value.kind} needs metadata.name`);
          return;
        }
        scan.objects.push({
          ...value,
          metadata: {
            ...meta,
            name: meta.name,
            namespace: (meta.namespace as string) || 'default',
          },
        } as KubeObject);
      } else {
        scan.problems.push(
          `${where}: kind ${JSON.stringify(value.kind)} is not served here (Pod, ConfigMap, Secret)`,
        );
      }
    });
  }
  return scan;
}

export interface ManifestWatcherOptions {
  dir: string;
  nodeName: string;
  periodMs?: number;
  logger: Logger;
  onScan: (scan: ManifestScan, objectsChanged: boolean) => void;
}

/** Scans the directory now and every periodMs; reports each scan, and problems once each. */
export class ManifestWatcher {
  private timer?: NodeJS.Timeout;
  private lastObjects = '';
  private reported = new Set<string>();

  constructor(private readonly options: ManifestWatcherOptions) {}

  async start(): Promise<void> {
    await this.scanOnce();
    this.timer = setInterval(() => void this.scanOnce(), this.options.periodMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async scanOnce(): Promise<void> {
    const scan = await scanManifests(this.options.dir, this.options.nodeName);
    const fresh = new Set(scan.problems);
    for (const p of fresh)
      if (!this.reported.has(p)) this.options.logger.warn('manifest skipped', { problem: p });
    this.reported = fresh;
    const objects = JSON.stringify(scan.objects);
    const changed = objects !== this.lastObjects;
    this.lastObjects = objects;
    this.options.onScan(scan, changed);
  }
}
