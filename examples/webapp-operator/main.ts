// Runs the WebApp operator against the cluster of the kubeconfig (KUBECONFIG, or ~/.kube/config):
//   npx tsx examples/webapp-operator/main.ts [--context flotilla-m1]
// It creates the WebApp CRD if it is missing, waits until it is Established, then reconciles.
import { isApiError, type KubeObject } from '@flotilla/api';
import { connectFromKubeconfig } from '@flotilla/client';
import { WebAppOperator } from './operator';
import { WEBAPP_CRD } from './webapp';

const CRDS = { plural: 'customresourcedefinitions', group: 'apiextensions.k8s.io' };

async function main(): Promise<void> {
  const at = process.argv.indexOf('--context');
  const { client } = connectFromKubeconfig({
    component: 'webapp-operator',
    context: at > 0 ? process.argv[at + 1] : undefined,
  });
  const crds = client.forResource<KubeObject>(CRDS.plural, CRDS.group);
  try {
    await crds.create(WEBAPP_CRD);
    console.log('created the WebApp CustomResourceDefinition');
  } catch (err) {
    if (!(isApiError(err) && err.status.code === 409)) throw err;
  }
  for (let i = 0; i < 100; i++) {
    const crd = await crds.get(WEBAPP_CRD.metadata.name!);
    const conditions =
      (crd.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const operator = new WebAppOperator(client);
  process.once('SIGINT', () => operator.stop());
  process.once('SIGTERM', () => operator.stop());
  console.log('reconciling WebApps (Ctrl-C stops)');
  await operator.run();
  client.close();
}

main().catch((err: unknown) => {
  console.error(`webapp-operator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
