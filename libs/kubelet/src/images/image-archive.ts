// `flotilla images load`: an image from a docker-archive (docker save) or an OCI archive into the
// local registry, under the docker.io name the workers' containerd resolves through its mirror.
import { run } from '../host/run';

export class ImageLoadError extends Error {}

/**
 * Where a docker.io image lives in the local registry: nginx -> library/nginx:latest,
 * docker.io/flotilla/demo-web -> flotilla/demo-web:latest. Other registries are not mirrored.
 */
export function registryPath(name: string): string {
  let n = name.trim();
  if (!n) throw new ImageLoadError('empty image name');
  const slash = n.indexOf('/');
  const first = slash < 0 ? '' : n.slice(0, slash);
  if (first === 'docker.io' || first === 'index.docker.io' || first === 'registry-1.docker.io') {
    n = n.slice(slash + 1);
  } else if (first.includes('.') || first.includes(':') || first === 'localhost') {
    throw new ImageLoadError(
      `${name}: only docker.io names are served by the local registry (the workers mirror docker.io); give --name to load it as one`,
    );
  }
  if (!n.includes('/')) n = `library/${n}`;
  const lastSlash = n.lastIndexOf('/');
  if (!n.includes('@') && !n.slice(lastSlash).includes(':')) n += ':latest';
  if (
    !/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(
      n,
    )
  ) {
    throw new ImageLoadError(`${name}: not a valid image reference`);
  }
  return n;
}

export type ArchiveKind = 'docker-archive' | 'oci-archive';

/** Which kind of archive a tar's entry list is, and the image names it holds. */
export async function describeArchive(
  entries: string[],
  read: (entry: string) => Promise<string>,
): Promise<{ kind: ArchiveKind; names: string[] }> {
  const set = new Set(entries.map((e) => e.replace(/^\.\//, '')));
  if (set.has('manifest.json')) {
    return read('manifest.json').then((text) => {
      const manifest = JSON.parse(text) as { RepoTags?: string[] | null }[];
      return { kind: 'docker-archive' as const, names: manifest.flatMap((m) => m.RepoTags ?? []) };
    });
  }
  if (set.has('index.json') && set.has('oci-layout')) {
    return read('index.json').then((text) => {
      const index = JSON.parse(text) as { manifests?: { annotations?: Record<string, string> }[] };
      const names = (index.manifests ?? []).flatMap((m) => {
        const a = m.annotations ?? {};
        const full = a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'];
        // A bare tag ("latest") names no image; the caller has to.
        return full && (full.includes('/') || full.includes(':')) ? [full] : [];
      });
      return { kind: 'oci-archive' as const, names };
    });
  }
  throw new ImageLoadError(
    'not a docker-archive (manifest.json) nor an OCI archive (index.json, oci-layout)',
  );
}

/** Pushes the image(s) of the archive at file to registry; returns the names now served. */
export async function loadImageArchive(
  file: string,
  registry: string,
  name?: string,
): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await run('tar', ['-tf', file])).split('\n').filter(Boolean);
  } catch (err) {
    throw new ImageLoadError(
      `${file}: cannot read it as a tar archive (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const read = (entry: string) =>
    run('tar', ['-xOf', file, entries.find((e) => e.replace(/^\.\//, '') === entry) ?? entry]);
  const { kind, names } = await describeArchive(entries, read);
  const wanted = name ? [name] : names;
  if (wanted.length === 0)
    throw new ImageLoadError(`${file}: the archive names no image; give --name`);
  const loaded: string[] = [];
  for (const [i, n] of wanted.entries()) {
    const path = registryPath(n);
    // A docker-archive with several images picks one by its name; else the first (or only) one.
    const source =
      kind === 'docker-archive' && names.length > 1
        ? `${kind}:${file}:${names[i] ?? names[0]}`
        : `${kind}:${file}`;
    await run(
      'skopeo',
      [
        'copy',
        '--quiet',
        '--insecure-policy',
        '--dest-tls-verify=false',
        source,
        `docker://${registry}/${path}`,
      ],
      {
        timeoutMs: 600_000,
      },
    );
    loaded.push(`docker.io/${path}`);
    if (name) break;
  }
  return loaded;
}
