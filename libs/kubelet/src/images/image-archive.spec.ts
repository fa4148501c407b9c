import { describeArchive, ImageLoadError, registryPath } from './image-archive';

describe('image archives for the local registry', () => {
  it.each([
    ['nginx', 'library/nginx:latest'],
    ['nginx:1.25', 'library/nginx:1.25'],
    ['docker.io/library/busybox:1.36', 'library/busybox:1.36'],
    ['flotilla/demo-web', 'flotilla/demo-web:latest'],
    ['index.docker.io/me/app:v2', 'me/app:v2'],
  ])('%s -> %s', (name, path) => {
    expect(registryPath(name)).toBe(path);
  });

  it('refuses names of other registries and malformed ones', () => {
    expect(() => registryPath('quay.io/x/y:1')).toThrow(/only docker\.io names/);
    expect(() => registryPath('Bad/Name')).toThrow(ImageLoadError);
    expect(() => registryPath('')).toThrow('empty image name');
  });

  it('tells docker-archives from OCI archives and reads their names', async () => {
    const docker = await describeArchive(['manifest.json', 'abc/layer.tar'], async () =>
      JSON.stringify([{ RepoTags: ['flotilla/x:1'] }, { RepoTags: null }]),
    );
    expect(docker).toEqual({ kind: 'docker-archive', names: ['flotilla/x:1'] });
    const oci = await describeArchive(
      ['./oci-layout', './index.json', './blobs/sha256/a'],
      async () =>
        JSON.stringify({
          manifests: [
            { annotations: { 'io.containerd.image.name': 'docker.io/me/app:2' } },
            { annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
          ],
        }),
    );
    expect(oci).toEqual({ kind: 'oci-archive', names: ['docker.io/me/app:2'] });
    await expect(describeArchive(['x'], async () => '')).rejects.toThrow(/not a docker-archive/);
  });
});
