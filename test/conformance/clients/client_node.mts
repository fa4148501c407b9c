// The conformance scenario through @kubernetes/client-node (JavaScript). ESM only, so it runs
// outside Jest's CommonJS runtime, under tsx.
// Usage: tsx client_node.mts <kubeconfig> <context> <namespace>
// Prints one line: RESULT <json>, the facts the Jest test compares across clients.
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, context, ns] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
kc.setCurrentContext(context);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const result: Record<string, unknown> = { client: '@kubernetes/client-node' };

const names = (items: { metadata?: { name?: string } }[]) =>
  items.map((i) => i.metadata!.name!).sort();
const cm = (
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
) => ({
  metadata: { name, labels },
  data,
});
const as = (type: string) => k8s.setHeaderOptions('Content-Type', type);

async function errorOf(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    const body = JSON.parse(e.body as string) as {
      reason?: string;
      kind?: string;
      details?: { causes?: { field?: string }[] };
    };
    return {
      code: e.code,
      reason: body.reason,
      kind: body.kind,
      causes: (body.details?.causes ?? []).map((c) => c.field),
    };
  }
  return { code: 0 };
}

try {
  await core.createNamespace({ body: { metadata: { name: ns } } });

  // CRUD
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: cm('c1', { app: 'a', tier: 'x' }, { k: 'v1' }),
  });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: cm('c2', { app: 'b' }, { k: 'v2' }),
  });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: cm('c3', { app: 'c', tier: 'y' }, { k: 'v3' }),
  });
  const got = await core.readNamespacedConfigMap({ namespace: ns, name: 'c1' });
  got.data = { ...got.data, k: 'v1-updated' };
  const updated = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'c1', body: got });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'c3' });
  result.crud = {
    got: (await core.readNamespacedConfigMap({ namespace: ns, name: 'c2' })).data,
    updated: updated.data,
    listed: names((await core.listNamespacedConfigMap({ namespace: ns })).items),
    afterDelete: (await errorOf(() => core.readNamespacedConfigMap({ namespace: ns, name: 'c3' })))
      .code,
  };

  // Selectors
  const ls = async (labelSelector?: string, fieldSelector?: string) =>
    names(
      (await core.listNamespacedConfigMap({ namespace: ns, labelSelector, fieldSelector })).items,
    );
  result.selectors = {
    labelEquals: await ls('app=a'),
    labelIn: await ls('app in (a,b)'),
    labelNotIn: await ls('app notin (a)'),
    labelExistsAndNot: await ls('app,!tier'),
    fieldEquals: await ls(undefined, 'metadata.name=c2'),
    fieldNotEquals: await ls(undefined, 'metadata.name!=c2'),
    both: await ls('app in (a,b)', 'metadata.name!=c1'),
  };

  // Patches
  const merge = await core.patchNamespacedConfigMap(
    { namespace: ns, name: 'c1', body: { data: { m: 'merged' } } },
    as(k8s.PatchStrategy.MergePatch),
  );
  const json = await core.patchNamespacedConfigMap(
    {
      namespace: ns,
      name: 'c1',
      body: [{ op: 'replace', path: '/data/k', value: 'json-patched' }],
    },
    as(k8s.PatchStrategy.JsonPatch),
  );
  const applied = await core.patchNamespacedConfigMap(
    {
      namespace: ns,
      name: 'c1',
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c1' },
        data: { applied: 'yes' },
      },
      fieldManager: 'conformance',
      force: true,
    },
    as(k8s.PatchStrategy.ServerSideApply),
  );
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'd1' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'd1' } },
        template: {
          metadata: { labels: { app: 'd1' } },
          spec: { containers: [{ name: 'a', image: 'x:1' }] },
        },
      },
    },
  });
  const smp = await apps.patchNamespacedDeployment(
    {
      namespace: ns,
      name: 'd1',
      body: { spec: { template: { spec: { containers: [{ name: 'b', image: 'y:1' }] } } } },
    },
    as(k8s.PatchStrategy.StrategicMergePatch),
  );
  result.patches = {
    merge: merge.data,
    json: json.data,
    apply: applied.data,
    applyManagers: (applied.metadata!.managedFields ?? [])
      .map((m) => `${m.manager}/${m.operation}`)
      .sort(),
    strategicContainers: smp.spec!.template.spec!.containers.map((c) => c.name),
  };

  // Watch, resumed from the resourceVersion of a list
  const rv = (await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'w=1' })).metadata!
    .resourceVersion!;
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('w1', { w: '1' }, { n: '1' }) });
  await core.patchNamespacedConfigMap(
    { namespace: ns, name: 'w1', body: { data: { n: '2' } } },
    as(k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'w1' });
  const events: string[] = [];
  await new Promise<void>((resolve, reject) => {
    void new k8s.Watch(kc)
      .watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        { resourceVersion: rv, labelSelector: 'w=1', timeoutSeconds: 5, allowWatchBookmarks: true },
        (type, obj: { metadata: { name: string } }) => {
          if (type !== 'BOOKMARK') events.push(`${type} ${obj.metadata.name}`);
        },
        (err) => (err && (err as Error).name !== 'AbortError' ? reject(err) : resolve()),
      )
      .then((req) => {
        const check = setInterval(() => {
          if (events.length >= 3) {
            clearInterval(check);
            req.abort();
            resolve();
          }
        }, 50);
      }, reject);
  });
  result.watch = { events };

  // Errors
  result.errors = {
    notFound: await errorOf(() => core.readNamespacedConfigMap({ namespace: ns, name: 'missing' })),
    alreadyExists: await errorOf(() =>
      core.createNamespacedConfigMap({ namespace: ns, body: cm('c1') }),
    ),
    conflict: await errorOf(() =>
      core.replaceNamespacedConfigMap({
        namespace: ns,
        name: 'c2',
        body: { metadata: { name: 'c2', resourceVersion: '1' } },
      }),
    ),
    invalid: await errorOf(() =>
      core.createNamespacedConfigMap({ namespace: ns, body: cm('Not_Valid') }),
    ),
  };
} catch (e) {
  result.error = String(e instanceof Error ? (e.stack ?? e.message) : e);
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
