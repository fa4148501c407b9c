// The PersistentVolume binder in process: a claim binds to the smallest volume that fits, both
// report Bound; a claim nothing fits stays Pending; a volume whose claim is gone is Released.
import type { KubeObject } from '@flotilla/api';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { PersistentVolumeBinder } from './pv-binder';

function volume(name: string, size: string, mode = 'ReadWriteOnce'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: { capacity: { storage: size }, accessModes: [mode], hostPath: { path: `/data/${name}` } },
  };
}

function claim(name: string, size: string, mode = 'ReadWriteOnce'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default' },
    spec: { accessModes: [mode], resources: { requests: { storage: size } } },
  };
}

describe('PersistentVolume binder', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const pvs = () => h.client.forKind<KubeObject>('v1', 'PersistentVolume');
  const pvcs = () => h.client.forKind<KubeObject>('v1', 'PersistentVolumeClaim', 'default');
  const phase = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;

  it('binds a claim to the smallest volume that fits and releases it when the claim goes', async () => {
    await pvs().create(volume('big', '10Gi'));
    await pvs().create(volume('small', '1Gi'));
    await pvs().create(volume('shared', '1Gi', 'ReadWriteMany'));
    h.run([new PersistentVolumeBinder()]);
    await pvcs().create(claim('data', '500Mi'));
    await pvcs().create(claim('huge', '100Gi'));
    const bound = await waitFor('the claim bound', async () => {
      const c = await pvcs().get('data');
      return phase(c) === 'Bound' ? c : undefined;
    });
    expect((bound.spec as { volumeName?: string }).volumeName).toBe('small');
    expect(bound.status).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
    });
    await waitFor('the volume bound', async () =>
      phase(await pvs().get('small')) === 'Bound' ? true : undefined,
    );
    expect(phase(await pvcs().get('huge'))).toBe('Pending');
    expect(phase(await pvs().get('big'))).toBe('Available');

    await pvcs().delete('data');
    await waitFor('the volume released', async () =>
      phase(await pvs().get('small')) === 'Released' ? true : undefined,
    );
  });
});
