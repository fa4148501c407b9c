// Runs @kubernetes/client-node (ESM only, so outside Jest's CommonJS runtime) against a Flotilla
// cluster and prints one JSON result line. Usage: tsx client-node-scenario.mts <kubeconfig> <context>
// Protocol for the fault step: prints "KILL" and waits for a line "KILLED" on stdin.
import * as k8s from '@kubernetes/client-node';
import { createInterface } from 'node:readline';

const [kubeconfig, context] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
kc.setCurrentContext(context);
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
const core = kc.makeApiClient(k8s.CoreV1Api);
const results: Record<string, unknown> = {};
const stdin = createInterface({ input: process.stdin });
const lines: string[] = [];
const waiters: ((l: string) => void)[] = [];
stdin.on('line', (l) => (waiters.length ? waiters.shift()!(l) : lines.push(l)));
const nextLine = () =>
  new Promise<string>((r) => (lines.length ? r(lines.shift()!) : waiters.push(r)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (e: unknown) => (e as { code?: number }).code;

/** Retries a write while a master is down or the leader moves (503/504/connection errors), bounded. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const c = code(e);
      if (i >= 40 || (c !== undefined && c < 500 && c !== 429)) throw e;
      await sleep(250);
    }
  }
}

const NS = 'cn';
const specs: k8s.KubernetesObject[] = [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'o1', namespace: NS },
    data: { a: '1' },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'o1', namespace: NS },
    data: { a: 'MQ==' },
  } as k8s.KubernetesObject,
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'o1', namespace: NS } },
  { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'o1', namespace: NS } },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'o1', namespace: NS },
    involvedObject: { kind: 'Pod', name: 'x', namespace: NS },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'o1', namespace: NS },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'o1', namespace: NS },
    spec: { ports: [{ port: 80 }] },
  } as k8s.KubernetesObject,
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'cn-node' } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'o1', namespace: NS },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'o1', namespace: NS },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'o1', namespace: NS },
    spec: { holderIdentity: 'x' },
  } as k8s.KubernetesObject,
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'o1', namespace: NS },
    addressType: 'IPv4',
    endpoints: [],
  } as k8s.KubernetesObject,
];

async function crud(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    try {
      const created = await objects.create(spec);
      const readBack = () =>
        objects.read({
          apiVersion: spec.apiVersion,
          kind: spec.kind,
          metadata: { name: spec.metadata!.name!, namespace: spec.metadata!.namespace },
        });
      await readBack();
      const list = await objects.list(spec.apiVersion!, spec.kind!, spec.metadata!.namespace);
      if (!list.items.some((i) => i.metadata?.name === spec.metadata!.name))
        throw new Error('not listed');
      // Read, change, replace; again on a 409, as client-go's RetryOnConflict does: the masters'
      // scheduler writes an unschedulable Pod's status meanwhile (there are no nodes here).
      let replaced: k8s.KubernetesObject | undefined;
      for (let attempt = 0; replaced === undefined; attempt++) {
        const read = await readBack();
        read.metadata!.labels = { touched: 'yes' };
        try {
          replaced = await objects.replace(read);
        } catch (e) {
          if (attempt >= 4 || (e as { code?: number }).code !== 409) throw e;
        }
      }
      const patched = await objects.patch(
        {
          apiVersion: spec.apiVersion,
          kind: spec.kind,
          metadata: {
            name: spec.metadata!.name,
            namespace: spec.metadata!.namespace,
            annotations: { p: 'q' },
          },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        k8s.PatchStrategy.MergePatch,
      );
      if (patched.metadata?.labels?.touched !== 'yes' || patched.metadata?.annotations?.p !== 'q')
        throw new Error('patch lost data');
      if (Number(replaced.metadata!.resourceVersion) <= Number(created.metadata!.resourceVersion))
        throw new Error('rv did not grow');
      await objects.delete(patched, undefined, undefined, 0);
      out[spec.kind!] = 'ok';
    } catch (e) {
      out[spec.kind!] = `failed: ${(e as Error).message ?? e}`;
    }
  }
  return out;
}

async function conflictsAndSelectors(): Promise<Record<string, unknown>> {
  const cm = await core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'c1', labels: { tier: 'a' } } },
  });
  await core.replaceNamespacedConfigMap({
    namespace: NS,
    name: 'c1',
    body: { ...cm, data: { x: '1' } },
  });
  let conflict = 0;
  try {
    await core.replaceNamespacedConfigMap({
      namespace: NS,
      name: 'c1',
      body: { ...cm, data: { x: '2' } },
    });
  } catch (e) {
    conflict = code(e) ?? -1;
  }
  await core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'c2', labels: { tier: 'b' } } },
  });
  const sel = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'tier in (b,c)' });
  const field = await core.listNamespacedConfigMap({
    namespace: NS,
    fieldSelector: 'metadata.name=c1',
  });
  return {
    conflict,
    labelSelected: sel.items.map((i) => i.metadata?.name),
    fieldSelected: field.items.map((i) => i.metadata?.name),
  };
}

async function listThenWatch(): Promise<Record<string, unknown>> {
  const list = await core.listNamespacedConfigMap({ namespace: NS });
  const rv = list.metadata!.resourceVersion!;
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w1' } } });
  await core.deleteNamespacedConfigMap({ namespace: NS, name: 'w1' });
  const seen: string[] = [];
  const watch = new k8s.Watch(kc);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    void watch
      .watch(
        `/api/v1/namespaces/${NS}/configmaps`,
        { resourceVersion: rv },
        (type, obj) => {
          seen.push(`${type} ${obj.metadata.name}`);
          if (seen.length >= 2) {
            clearTimeout(timer);
            resolve();
          }
        },
        () => resolve(),
      )
      .then((req) => setTimeout(() => req.abort(), 6000));
  });
  return { resumedFrom: rv, seen };
}

async function informerUnderChurn(): Promise<Record<string, unknown>> {
  const ns = 'churn';
  await retry(() => core.createNamespace({ body: { metadata: { name: ns } } }));
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
    core.listNamespacedConfigMap({ namespace: ns }),
  );
  let errors = 0;
  informer.on('error', () => {
    errors++;
    setTimeout(() => void informer.start(), 500);
  });
  await informer.start();
  const names = Array.from({ length: 40 }, (_, i) => `cm-${i}`);
  for (const [i, name] of names.entries()) {
    if (i === 15) {
      process.stdout.write('KILL\n');
      await nextLine();
    }
    await retry(() =>
      core
        .createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name }, data: { i: String(i) } },
        })
        .catch((e) => {
          if (code(e) === 409) return undefined; // a retried create that had committed
          throw e;
        }),
    );
    if (i % 3 === 0)
      await retry(() =>
        core.patchNamespacedConfigMap({
          namespace: ns,
          name,
          body: [{ op: 'add', path: '/data/touched', value: 'y' }],
        }),
      );
    if (i % 5 === 0)
      await retry(() =>
        core.deleteNamespacedConfigMap({ namespace: ns, name }).catch((e) => {
          if (code(e) !== 404) throw e;
        }),
      );
  }
  // Converge: the cache must equal a fresh list (names and resourceVersions), bounded in time.
  let consistent = false;
  let cached: string[] = [];
  let listed: string[] = [];
  for (let i = 0; i < 60 && !consistent; i++) {
    const fresh = await retry(() => core.listNamespacedConfigMap({ namespace: ns }));
    listed = fresh.items.map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort();
    cached = informer
      .list()
      .map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`)
      .sort();
    consistent = JSON.stringify(listed) === JSON.stringify(cached);
    if (!consistent) await sleep(500);
  }
  await informer.stop();
  return {
    consistent,
    cachedCount: cached.length,
    listedCount: listed.length,
    informerErrors: errors,
  };
}

try {
  await retry(() => core.createNamespace({ body: { metadata: { name: NS } } }));
  results.crud = await crud();
  results.conflictsAndSelectors = await conflictsAndSelectors();
  results.listThenWatch = await listThenWatch();
  results.informer = await informerUnderChurn();
} catch (e) {
  results.error = String((e as Error).stack ?? e);
}
process.stdout.write(`RESULT ${JSON.stringify(results)}\n`);
stdin.close();
process.exit(0);
