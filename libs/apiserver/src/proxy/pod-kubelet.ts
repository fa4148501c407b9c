// Where a pod's logs and streams are served: the kubelet of the node the pod is bound to, at the
// node's InternalIP and status.daemonEndpoints.kubeletEndpoint.Port, under the kubelet's own
// paths (/containerLogs, /exec, /attach, /portForward). Bad requests get Kubernetes' messages.
import { apiErrors, findResource, type KubeObject, type ResourceInfo } from '@flotilla/api';

export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export const POD_STREAM_SUBRESOURCES: readonly string[] = ['log', 'exec', 'attach', 'portforward'];

export interface KubeletEndpoint {
  node: string;
  host: string;
  port: number;
}

export interface KubeletRequest {
  endpoint: KubeletEndpoint;
  /** Path and query on the kubelet. */
  path: string;
  /** GET when absent. */
  method?: string;
  /** The headers to send (nodes/proxy: the client's, filtered); absent: Accept: *\/* alone. */
  headers?: Record<string, string | string[]>;
  body?: Buffer;
  /**
   * Every answer header reaches the client (nodes/proxy); otherwise only its content type
   * (pods/log, as Kubernetes streams a log).
   */
  relayHeaders?: boolean;
}

export type GetObject = (
  r: ResourceInfo,
  namespace: string | undefined,
  name: string,
) => Promise<KubeObject>;

const LOG_PARAMS = [
  'follow',
  'previous',
  'timestamps',
  'tailLines',
  'sinceSeconds',
  'sinceTime',
  'limitBytes',
];
const STREAM_PARAMS = ['command', 'stdin', 'stdout', 'stderr', 'tty'];

interface PodShape {
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  metadata: { annotations?: Record<string, string> };
}

interface NodeShape {
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

function core(plural: string): ResourceInfo {
  return findResource('', 'v1', plural)!;
}

/** The container a request means: the one named, or the pod's only (or default) container. */
export function chooseContainer(pod: KubeObject, name: string, asked: string | null): string {
  const spec = (pod as PodShape).spec ?? {};
  const app = (spec.containers ?? []).map((c) => c.name);
  const init = (spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (asked) {
    if (![...app, ...init, ...ephemeral].includes(asked)) {
      throw apiErrors.badRequest(`container ${asked} is not valid for pod ${name}`);
    }
    return asked;
  }
  const annotated = (pod as PodShape).metadata.annotations?.[
    'kubectl.kubernetes.io/default-container'
  ];
  if (annotated && app.includes(annotated)) return annotated;
  if (app.length === 1) return app[0];
  const initHint = init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : '';
  throw apiErrors.badRequest(
    `a container name must be specified for pod ${name}, choose one of: [${app.join(' ')}]${initHint}`,
  );
}

/** The kubelet's address for a node (its InternalIP, else its first address). */
export function kubeletEndpointOf(node: KubeObject): KubeletEndpoint {
  const name = node.metadata.name ?? '';
  const status = (node as NodeShape).status ?? {};
  const addresses = status.addresses ?? [];
  const address =
    addresses.find((a) => a.type === 'InternalIP') ??
    addresses.find((a) => a.type === 'ExternalIP') ??
    addresses[0];
  if (!address) throw apiErrors.badRequest(`node ${name} has no address to reach its kubelet`);
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) throw apiErrors.badRequest(`node ${name} does not report its kubelet port`);
  return { node: name, host: address.address, port };
}

/** Resolves pods/<sub> of pod namespace/name to a request on its kubelet. */
export async function kubeletRequestFor(
  get: GetObject,
  namespace: string,
  name: string,
  sub: PodStreamSubresource,
  query: URLSearchParams,
): Promise<KubeletRequest> {
  const pod = await get(core('pods'), namespace, name);
  const nodeName = (pod as PodShape).spec?.nodeName;
  if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
  const node = await get(core('nodes'), undefined, nodeName);
  const endpoint = kubeletEndpointOf(node);
  const out = new URLSearchParams();
  const keep = (names: string[]) => {
    for (const n of names) for (const v of query.getAll(n)) out.append(n, v);
  };
  const ns = encodeURIComponent(namespace);
  const pn = encodeURIComponent(name);
  let path: string;
  if (sub === 'portforward') {
    keep(['port']);
    path = `/portForward/${ns}/${pn}`;
  } else {
    const container = encodeURIComponent(chooseContainer(pod, name, query.get('container')));
    if (sub === 'log') {
      keep(LOG_PARAMS);
      path = `/containerLogs/${ns}/${pn}/${container}`;
    } else {
      keep(STREAM_PARAMS);
      path = `/${sub}/${ns}/${pn}/${container}`;
    }
  }
  const search = out.toString();
  return { endpoint, path: search ? `${path}?${search}` : path };
}
