// The EndpointSlice and Endpoints controllers over a big Service, in process (an API server and
// the controllers in this process, no network): time until N ready pods are listed, then the
// writes one pod's readiness flip costs. Printed, not asserted.
//   npx tsx bench/controllers/endpointslice.ts [pods=2000]
import { findResource } from '@flotilla/api';
import {
  EventBroadcaster,
  coreV1EventSink,
  realClock,
  SharedInformerFactory,
  type EndpointSlice,
  type Endpoints,
} from '@flotilla/client';
import { EndpointsController, EndpointSliceController } from '@flotilla/controllers';
import { startTestApi } from '@flotilla/testing';
import { Registry } from 'prom-client';

const PODS = Number(process.argv[2] ?? 2000);
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
const EVENTS = findResource('', 'v1', 'events')!;

async function main(): Promise<void> {
  const api = await startTestApi();
  const c = api.client;
  await c.services('default').create({
    metadata: { name: 'big' },
    spec: { selector: { app: 'big' }, ports: [{ port: 80 }] },
  });
  for (let i = 0; i < PODS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, PODS - i) }, async (_, j) => {
        const n = i + j;
        const pod = await c.pods('default').create({
          metadata: { name: `p${n}`, labels: { app: 'big' } },
          spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
        });
        const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        await c.pods('default').updateStatus({
          ...pod,
          status: {
            phase: 'Running',
            podIP: ip,
            podIPs: [{ ip }],
            conditions: [{ type: 'Ready', status: 'True' }],
          },
        });
      }),
    );
  }

  const client = api.newClient({ component: 'kube-controller-manager' });
  const informers = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
  });
  const events = new EventBroadcaster({
    sink: coreV1EventSink((ns) => client.resource(EVENTS, ns)),
  });
  const ctx = {
    client,
    informers,
    recorder: (reportingController: string) => events.newRecorder({ reportingController }),
    clock: realClock,
    log: { info: () => {}, warn: () => {}, error: console.error },
    metrics: new Registry(),
    flags: new Map<string, string>(),
  };
  const abort = new AbortController();
  const started = performance.now();
  const runs = [new EndpointSliceController(), new EndpointsController()].map((ctl) =>
    ctl.run(ctx, abort.signal),
  );

  const slices = async () =>
    (await c.endpointSlices('default').list({ labelSelector: 'kubernetes.io/service-name=big' }))
      .items as EndpointSlice[];
  const readyCount = (s: EndpointSlice[]) =>
    s.flatMap((x) => x.endpoints ?? []).filter((e) => e.conditions?.ready).length;
  const until = async (check: () => Promise<boolean>) => {
    while (!(await check())) await new Promise((r) => setTimeout(r, 5));
  };
  await until(async () => readyCount(await slices()) === PODS);
  const slicesMs = performance.now() - started;
  await until(async () => {
    const ep = await c
      .resource<Endpoints>(ENDPOINTS, 'default')
      .get('big')
      .catch(() => undefined);
    // An Endpoints object holds at most 1000 addresses (then it is marked over capacity).
    return (ep?.subsets?.[0]?.addresses?.length ?? 0) === Math.min(PODS, 1000);
  });
  const endpointsMs = performance.now() - started;

  const before = new Map(
    (await slices()).map((s) => [s.metadata.name, s.metadata.resourceVersion]),
  );
  const flipped = performance.now();
  const p = await c.pods('default').get('p7');
  await c.pods('default').updateStatus({
    ...p,
    status: { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] },
  });
  await until(async () => readyCount(await slices()) === PODS - 1);
  const flipMs = performance.now() - flipped;
  const after = await slices();
  const rewritten = after.filter((s) => before.get(s.metadata.name) !== s.metadata.resourceVersion);

  console.log(`pods: ${PODS}, slices: ${after.length}`);
  console.log(`all ready in EndpointSlices after start: ${slicesMs.toFixed(0)} ms`);
  console.log(`all ready in Endpoints after start:      ${endpointsMs.toFixed(0)} ms`);
  console.log(
    `one pod not ready: reflected in ${flipMs.toFixed(0)} ms, ${rewritten.length} slice(s) rewritten`,
  );
  abort.abort();
  await Promise.all(runs);
  informers.shutdown();
  events.shutdown();
  await api.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
