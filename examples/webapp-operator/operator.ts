// A small operator written with @flotilla/client: each WebApp becomes a Deployment and a Service
// it owns, and its status reports the ready replicas. Level-triggered: sync(key) compares what is
// with what should be and writes the difference; safe to run again at any time.
import { cloneJson, findResource, type KubeObject, type ResourceInfo } from '@flotilla/api';
import {
  objectKey,
  runWorkers,
  SharedInformerFactory,
  splitKey,
  WorkQueue,
  type ResourceOps,
} from '@flotilla/client';
import { WEBAPPS, type WebApp } from './webapp';

const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;
const SERVICES = findResource('', 'v1', 'services')!;
const OWNER_LABEL = 'example.flotilla.io/webapp';

export interface OperatorClient {
  resource<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace?: string,
  ): ResourceOps<T>;
}

export class WebAppOperator {
  private readonly factory: SharedInformerFactory;
  private readonly queue = new WorkQueue<string>({ name: 'webapp' });
  private readonly apps;
  private readonly deployments;
  private readonly services;

  constructor(private readonly client: OperatorClient) {
    this.factory = new SharedInformerFactory({
      listerWatcher: (info, ns) => client.resource(info, ns),
    });
    this.apps = this.factory.informerFor<WebApp>(WEBAPPS);
    this.deployments = this.factory.informerFor(DEPLOYMENTS, { labelSelector: OWNER_LABEL });
    this.services = this.factory.informerFor(SERVICES, { labelSelector: OWNER_LABEL });
    const enqueue = (o: KubeObject) => this.queue.add(objectKey(o));
    this.apps.addEventHandler({ onAdd: enqueue, onUpdate: (_old, o) => enqueue(o) });
    // A child changing (ready replicas) or going away brings its WebApp back to the queue.
    const owner = (o: KubeObject) => {
      const name = o.metadata.labels?.[OWNER_LABEL];
      if (name) this.queue.add(`${o.metadata.namespace}/${name}`);
    };
    for (const children of [this.deployments, this.services]) {
      children.addEventHandler({ onAdd: owner, onUpdate: (_old, o) => owner(o), onDelete: owner });
    }
  }

  /** Runs until stop(): informers, then two workers. */
  async run(): Promise<void> {
    this.factory.start();
    await this.factory.waitForCacheSync();
    await runWorkers(this.queue, 2, (key) => this.sync(key));
  }

  stop(): void {
    this.queue.shutDown();
    this.factory.shutdown();
  }

  async sync(key: string): Promise<void> {
    const app = this.apps.lister.getByKey(key);
    if (!app || app.metadata.deletionTimestamp) return; // owned children go with it (garbage collector)
    const { namespace } = splitKey(key);
    const deployment = await this.ensure(
      DEPLOYMENTS,
      namespace!,
      desiredDeployment(app),
      (have, want) =>
        replicasOf(have) === replicasOf(want) &&
        JSON.stringify(containerOf(have)) === JSON.stringify(containerOf(want)),
    );
    await this.ensure(
      SERVICES,
      namespace!,
      desiredService(app),
      (have, want) =>
        JSON.stringify((have.spec as { ports?: unknown })?.ports) ===
        JSON.stringify((want.spec as { ports?: unknown })?.ports),
    );
    const status = {
      readyReplicas: Number((deployment.status as { readyReplicas?: number })?.readyReplicas ?? 0),
      observedGeneration: app.metadata.generation,
      url: `http://${app.metadata.name}.${namespace}.svc:${app.spec.port}`,
    };
    if (JSON.stringify(app.status ?? {}) === JSON.stringify(status)) return;
    const next = cloneJson(app) as WebApp; // cached objects are frozen
    next.status = status;
    await this.client.resource<WebApp>(WEBAPPS, namespace).updateStatus(next); // 409: retried
  }

  /** Creates `want` if missing, or updates the fields we own when `same` says they differ. */
  private async ensure(
    info: ResourceInfo,
    namespace: string,
    want: KubeObject,
    same: (have: KubeObject, want: KubeObject) => boolean,
  ): Promise<KubeObject> {
    const ops = this.client.resource(info, namespace);
    const informer = info === DEPLOYMENTS ? this.deployments : this.services;
    const have = informer.lister.get(want.metadata.name!, namespace);
    if (!have) return ops.create(want);
    if (same(have, want)) return have;
    const next = cloneJson(have);
    next.spec = { ...(next.spec as object), ...(want.spec as object) };
    return ops.update(next);
  }
}

function ownerReference(app: WebApp) {
  return {
    apiVersion: `${WEBAPPS.group}/${WEBAPPS.version}`,
    kind: WEBAPPS.kind,
    name: app.metadata.name!,
    uid: app.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function labels(app: WebApp): Record<string, string> {
  return { [OWNER_LABEL]: app.metadata.name!, 'app.kubernetes.io/name': app.metadata.name! };
}

export function desiredDeployment(app: WebApp): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: app.metadata.name,
      labels: labels(app),
      ownerReferences: [ownerReference(app)],
    },
    spec: {
      replicas: app.spec.replicas,
      selector: { matchLabels: labels(app) },
      template: {
        metadata: { labels: labels(app) },
        spec: {
          containers: [
            { name: 'web', image: app.spec.image, ports: [{ containerPort: app.spec.port }] },
          ],
        },
      },
    },
  };
}

export function desiredService(app: WebApp): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: app.metadata.name,
      labels: labels(app),
      ownerReferences: [ownerReference(app)],
    },
    spec: {
      selector: labels(app),
      ports: [{ name: 'http', port: app.spec.port, targetPort: app.spec.port, protocol: 'TCP' }],
    },
  };
}

function replicasOf(d: KubeObject): unknown {
  return (d.spec as { replicas?: number } | undefined)?.replicas;
}

function containerOf(d: KubeObject): unknown {
  const c = (
    d.spec as { template?: { spec?: { containers?: { image?: string; ports?: unknown }[] } } }
  )?.template?.spec?.containers?.[0];
  return {
    image: c?.image,
    ports: (c?.ports as { containerPort?: number }[] | undefined)?.map((p) => p.containerPort),
  };
}
