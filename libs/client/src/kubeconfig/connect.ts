// A ready client from a kubeconfig (or a list of servers): every master of the cluster as a
// failover endpoint, the context's namespace as the default.
import { KubeClient, KubeClientOptions } from '../rest/kube-client';
import type { EndpointConfig } from '../transport/endpoint';
import { HttpTransport, HttpTransportOptions } from '../transport/http-transport';
import { loadKubeconfig, LoadOptions } from './load';
import { ContextConnection, peerContexts, resolveContext } from './resolve';

export interface ConnectOptions
  extends Omit<KubeClientOptions, 'transport'>, Omit<HttpTransportOptions, 'endpoints'> {
  /** A kubeconfig file (else KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string;
  env?: LoadOptions['env'];
  /** The context to use (else current-context). */
  context?: string;
  /**
   * 'peers' (default): the context's master first, then the other masters of its cluster (see
   * peerContexts); 'none': the context's server only.
   */
  failover?: 'peers' | 'none';
}

export interface Connected {
  client: KubeClient;
  transport: HttpTransport;
  /** The context's namespace ('default' when it sets none). */
  namespace: string;
  /** The contexts whose servers the client may use, in failover order. */
  contexts: ContextConnection[];
}

export function connectFromKubeconfig(options: ConnectOptions = {}): Connected {
  const config = loadKubeconfig({ path: options.kubeconfig, env: options.env });
  const contexts =
    options.failover === 'none'
      ? [resolveContext(config, options.context)]
      : peerContexts(config, options.context);
  const transport = new HttpTransport({ ...options, endpoints: contexts });
  const client = new KubeClient({ ...options, transport });
  return { client, transport, namespace: contexts[0].namespace, contexts };
}

/** A client over explicit endpoints (servers with their TLS settings and credentials). */
export function connect(
  endpoints: (string | EndpointConfig)[],
  options: Omit<ConnectOptions, 'kubeconfig' | 'env' | 'context' | 'failover'> = {},
): { client: KubeClient; transport: HttpTransport } {
  const transport = new HttpTransport({
    ...options,
    endpoints: endpoints.map((e) => (typeof e === 'string' ? { server: e } : e)),
  });
  return { client: new KubeClient({ ...options, transport }), transport };
}
