// The kube-system/kube-dns Service: the address every pod's resolv.conf names. Its ClusterIP is
// the service range's tenth address (10.96.0.10 in the default range), as kubeadm gives it. No
// pods back it: every node agent serves cluster DNS at that address itself, on the node, so pods
// find Services by name on any cluster without a DNS Deployment to schedule. Its selector is the
// upstream one, so a DNS Deployment labelled k8s-app=kube-dns would take over. Every master keeps
// it in existence, as it does the system namespaces; a deleted one comes back.
import { isApiError, type KubeObject } from '@flotilla/api';
import { finalStateOf, type Service, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { SERVICES } from '../common/resources';

export const CLUSTER_DNS_NAMESPACE = 'kube-system';
export const CLUSTER_DNS_SERVICE = 'kube-dns';
const DNS_IP_OFFSET = 9; // from the first address: the range's tenth

/** The tenth address of the range whose first address is `first`. */
export function clusterDnsIp(first: string): string {
  const n = first.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + DNS_IP_OFFSET;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function clusterDnsServiceBody(clusterIP: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: CLUSTER_DNS_SERVICE,
      namespace: CLUSTER_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'ClusterDNS' },
    },
    spec: {
      type: 'ClusterIP',
      ...(clusterIP ? { clusterIP, clusterIPs: [clusterIP] } : {}),
      selector: { 'k8s-app': 'kube-dns' },
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      ],
    },
  };
}

export class ClusterDnsServiceController implements Controller {
  readonly name = 'cluster-dns-service';
  private queue!: WorkQueue<string>;
  private services!: SharedInformer<Service>;

  /** clusterIP: the address to ask for (undefined: let the API server pick one). */
  constructor(private readonly clusterIP: string | undefined) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.queue = controllerQueue(ctx, 'cluster_dns_service');
    this.services = ctx.informers.informerFor<Service>(SERVICES, {
      namespace: CLUSTER_DNS_NAMESPACE,
    });
    const handlers = [
      this.services.addEventHandler({
        onDelete: (d) => {
          if (finalStateOf(d).metadata.name === CLUSTER_DNS_SERVICE)
            this.queue.add(CLUSTER_DNS_SERVICE);
        },
      }),
    ];
    this.queue.add(CLUSTER_DNS_SERVICE);
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.services] as SharedInformer[],
      handlers,
      workers: 1,
      sync: () => this.sync(ctx),
    });
  }

  private async sync(ctx: ControllerContext): Promise<void> {
    if (this.services.lister.get(`${CLUSTER_DNS_NAMESPACE}/${CLUSTER_DNS_SERVICE}`)) return;
    const services = ctx.client.resource(SERVICES, CLUSTER_DNS_NAMESPACE);
    try {
      await services.create(clusterDnsServiceBody(this.clusterIP));
      ctx.log.info('created the kube-dns Service', { clusterIP: this.clusterIP ?? 'allocated' });
      return;
    } catch (err) {
      if (!isApiError(err)) throw err;
      if (err.code === 409 && (await services.get(CLUSTER_DNS_SERVICE).catch(() => undefined)))
        return; // another master was first
      // 422, or 409 on the address: another Service holds it; take one the server gives.
      if (err.code !== 422 && err.code !== 409) throw err;
    }
    try {
      await services.create(clusterDnsServiceBody(undefined));
      ctx.log.warn('created the kube-dns Service on an allocated address', {
        wanted: this.clusterIP,
      });
    } catch (err) {
      if (isApiError(err) && err.code === 409) return;
      throw err;
    }
  }
}
