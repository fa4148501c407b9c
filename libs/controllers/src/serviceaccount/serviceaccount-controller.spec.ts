import { startHarness, waitFor, type Harness } from '../../test/harness';
import { ServiceAccountController } from './serviceaccount-controller';

describe('ServiceAccount controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.run([new ServiceAccountController()]);
  });
  afterEach(async () => {
    await h.stop();
  });

  const sa = (ns: string) =>
    h.client
      .forResource('serviceaccounts', '', ns)
      .get('default')
      .catch(() => undefined);

  it('gives every namespace, old and new, a default ServiceAccount, and makes it again when deleted', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      await waitFor(`default in ${ns}`, () => sa(ns));
    await h.client
      .namespaces()
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const first = await waitFor('default in team', () => sa('team'));
    await h.client.forResource('serviceaccounts', '', 'team').delete('default');
    const again = await waitFor('default made again', async () => {
      const cur = await sa('team');
      return cur && cur.metadata.uid !== first.metadata.uid ? cur : undefined;
    });
    expect(again.metadata.name).toBe('default');
  });

  it('leaves a terminating namespace alone', async () => {
    await h.client
      .namespaces()
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going' } });
    await waitFor('default in going', () => sa('going'));
    await h.client.namespaces().delete('going');
    await h.client.forResource('serviceaccounts', '', 'going').delete('default');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sa('going')).toBeUndefined();
  });
});
