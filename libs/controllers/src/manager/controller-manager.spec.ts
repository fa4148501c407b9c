import { Registry } from 'prom-client';
import { isApiError } from '@flotilla/api';
import type { KubeClient } from '@flotilla/client';
import { inProcessTransport, startTestApi, type TestApi } from '@flotilla/testing';
import { quietLog, waitFor } from '../../test/harness';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { CONTROLLER_MANAGER_LEASE, ControllerManager } from './controller-manager';
import { parseControllerList } from './controller-selection';

/** A controller that only says whether it is running and keeps the client it was given. */
class Probe implements Controller {
  running = false;
  client: KubeClient | undefined;
  constructor(readonly name: string) {}
  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.running = true;
    this.client = ctx.client;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    this.running = false;
  }
}

describe('ControllerManager', () => {
  let api: TestApi;
  const managers: ControllerManager[] = [];
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
    await api.stop();
  });

  const start = (masterName: string, controllers = ['*']) => {
    const probes = new Map<string, Probe>();
    const factory = (name: string, enabledByDefault = true): ControllerFactory => ({
      name,
      enabledByDefault,
      create: () => {
        const p = new Probe(name);
        probes.set(name, p);
        return p;
      },
    });
    const manager = new ControllerManager({
      transport: inProcessTransport(api.server),
      masterName,
      factories: [factory('replicaset'), factory('deployment'), factory('bootstrapsigner', false)],
      controllers,
      log: quietLog,
      metrics: new Registry(),
    });
    managers.push(manager);
    manager.start();
    return { manager, probes };
  };

  const holder = async () =>
    (await api.client.leases(CONTROLLER_MANAGER_LEASE.namespace).get(CONTROLLER_MANAGER_LEASE.name))
      .spec?.holderIdentity;

  it('runs the selected controllers only in the master holding the Lease, and hands over on stop', async () => {
    const a = start('m1', parseControllerList('*,-deployment'));
    await waitFor('m1 leading', () => (a.manager.isLeading ? true : undefined));
    const b = start('m2', parseControllerList('*,-deployment'));
    expect(a.manager.identity).toMatch(/^m1_[0-9a-f]{8}-/);
    expect(await holder()).toBe(a.manager.identity);
    expect(a.manager.enabled).toEqual(['replicaset-controller']);
    await waitFor('replicaset running in m1', () =>
      a.probes.get('replicaset')?.running ? true : undefined,
    );
    expect([...a.probes.keys()]).toEqual(['replicaset']);
    expect(b.manager.isLeading).toBe(false);
    expect(b.probes.size).toBe(0);

    const oldClient = a.probes.get('replicaset')!.client!;
    await a.manager.stop();
    expect(a.probes.get('replicaset')!.running).toBe(false);
    // The Lease was released, so m2 need not wait for it to expire.
    await waitFor('m2 leading', () => (b.manager.isLeading ? true : undefined), 5_000);
    expect(await holder()).toBe(b.manager.identity);
    await waitFor('replicaset running in m2', () =>
      b.probes.get('replicaset')?.running ? true : undefined,
    );
    // The old term's client is fenced: nothing it sends reaches the server any more.
    const write = oldClient
      .namespaces()
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'late' } });
    await expect(write).rejects.toThrow(/fenced/);
    const late = await api.client
      .namespaces()
      .get('late')
      .catch((e: unknown) => (isApiError(e) ? e.code : e));
    expect(late).toBe(404);
  });

  it('leaves off the controllers * does not include unless they are named', () => {
    const m = new ControllerManager({
      transport: inProcessTransport(api.server),
      masterName: 'm1',
      factories: [
        { name: 'replicaset', enabledByDefault: true, create: () => new Probe('replicaset') },
        { name: 'bootstrapsigner', enabledByDefault: false, create: () => new Probe('b') },
      ],
      controllers: ['*'],
      log: quietLog,
      metrics: new Registry(),
    });
    expect(m.enabled).toEqual(['replicaset-controller']);
  });
});
