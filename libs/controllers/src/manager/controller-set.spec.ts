// The controller set's shared informers cache objects without managedFields (as
// kube-controller-manager's do), and a controller that sends such an object back does not wipe the
// server's field owners.
import { cloneJson } from '@flotilla/api';
import type { Pod } from '@flotilla/client';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import type { Controller, ControllerContext } from '../controller';

const managersOf = (pod: Pod) =>
  ((pod.metadata.managedFields ?? []) as { manager: string; operation: string }[])
    .map((e) => `${e.manager}/${e.operation}`)
    .sort();

/** Reads one pod from the shared cache, then labels it with an update built from that copy. */
class LabelFromCache implements Controller {
  readonly name = 'label-from-cache';
  cached: Pod | undefined;
  written: Pod | undefined;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const pods = ctx.informers.informerFor<Pod>(ctx.client.pods().info);
    if (!(await ctx.informers.waitForCacheSync({ signal }))) return;
    this.cached = pods.lister.get('web', 'default');
    if (!this.cached) throw new Error('web is not in the cache');
    const changed = cloneJson(this.cached);
    changed.metadata.labels = { ...changed.metadata.labels, seen: 'yes' };
    this.written = await ctx.client.pods('default').update(changed);
  }
}

describe('the controller set caches lean objects', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('caches pods without managedFields; an update from the cache keeps the stored ones', async () => {
    const created = await h.client.pods('default').create(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
      { fieldManager: 'kubectl-create' },
    );
    expect(managersOf(created)).toEqual(['kubectl-create/Update']);

    const probe = new LabelFromCache();
    h.run([probe]);
    const written = await waitFor('the update from the cached pod', () => probe.written);

    expect(probe.cached!.metadata.managedFields).toBeUndefined();
    expect(Object.isFrozen(probe.cached!.metadata)).toBe(true);
    expect(written.metadata.labels).toEqual({ app: 'web', seen: 'yes' });
    expect(managersOf(written)).toEqual([
      'flotilla-kube-controller-manager/Update',
      'kubectl-create/Update',
    ]);
    const stored = await h.client.pods('default').get('web');
    expect(managersOf(stored)).toEqual(managersOf(written));
    // The creator still owns the label it set; the controller owns the one it added.
    const owned = Object.fromEntries(
      (stored.metadata.managedFields as { manager: string; fieldsV1: never }[]).map((e) => [
        e.manager,
        e.fieldsV1,
      ]),
    );
    expect(owned['kubectl-create']).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
    expect(owned['flotilla-kube-controller-manager']).toEqual({
      'f:metadata': { 'f:labels': { 'f:seen': {} } },
    });
  });
});
