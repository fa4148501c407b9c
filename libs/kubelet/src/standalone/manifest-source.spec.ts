import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanManifests } from './manifest-source';

describe('manifest directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-manifests-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('reads static pods, ConfigMaps and Secrets; reports what it skips', async () => {
    await fs.writeFile(
      join(dir, 'web.yaml'),
      `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: app, image: flotilla/demo-web}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {greeting: hello}
`,
    );
    await fs.writeFile(join(dir, 'broken.yaml'), 'kind: Pod\nmetadata: {name: x\n');
    await fs.writeFile(
      join(dir, 'invalid.yaml'),
      'kind: Pod\nmetadata: {name: bad}\nspec: {containers: []}\n',
    );
    await fs.writeFile(join(dir, 'svc.yaml'), 'kind: Service\nmetadata: {name: s}\n');
    await fs.writeFile(join(dir, 'notes.txt'), 'ignored');
    const scan = await scanManifests(dir, 'w1');
    expect(scan.pods.map((p) => [p.metadata.name, p.metadata.namespace, p.spec.nodeName])).toEqual([
      ['web-w1', 'default', 'w1'],
    ]);
    expect(scan.pods[0].metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(scan.pods[0].metadata.labels).toEqual({ app: 'web' });
    expect(scan.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(
      ['ConfigMap/default/cfg'],
    );
    expect(scan.problems).toHaveLength(3);
    expect(scan.problems.join('\n')).toMatch(/broken\.yaml/);
    expect(scan.problems.join('\n')).toMatch(/invalid\.yaml: pod bad: spec\.containers/);
    expect(scan.problems.join('\n')).toMatch(/svc\.yaml: kind "Service" is not served here/);
  });

  it('gives an edited manifest a new uid and the same manifest the same one', async () => {
    const write = (image: string) =>
      fs.writeFile(
        join(dir, 'p.yaml'),
        `kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: ${image}}]}\n`,
      );
    await write('a:1');
    const first = (await scanManifests(dir, 'w1')).pods[0].metadata.uid;
    expect((await scanManifests(dir, 'w1')).pods[0].metadata.uid).toBe(first);
    expect((await scanManifests(dir, 'w2')).pods[0].metadata.uid).not.toBe(first);
    await write('a:2');
    expect((await scanManifests(dir, 'w1')).pods[0].metadata.uid).not.toBe(first);
  });
});
