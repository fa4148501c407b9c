// How the agent reaches the masters: one client for the kubelet and the node's networking, over
// every master as a failover endpoint (--servers, or the clusters of --kubeconfig).
import type { ResourceInfo } from '@flotilla/api';
import {
  connect,
  connectFromKubeconfig,
  KubeconfigError,
  type ResourceOps,
} from '@flotilla/client';
import { ConfigError } from '@flotilla/process';
import type { NodeAgentConfig } from '../config/node-agent-config';

/** What the agent's parts need of a client: @flotilla/client's KubeClient, or a test's fake. */
export interface MastersClient {
  resource(info: ResourceInfo, namespace?: string): ResourceOps;
  close?(): void;
}

/** A client for the configured masters; undefined when none are configured. */
export function connectToMasters(config: NodeAgentConfig): MastersClient | undefined {
  const options = { component: 'node-agent' };
  if (config.kubeconfig) return fromKubeconfig(config.kubeconfig, '--kubeconfig', options);
  if (config.servers.length > 0) return connect(config.servers, options).client;
  return undefined;
}

/** kube-proxy's own client (--proxy-kubeconfig), when it has one. */
export function connectProxyToMasters(config: NodeAgentConfig): MastersClient | undefined {
  return config.proxyKubeconfig
    ? fromKubeconfig(config.proxyKubeconfig, '--proxy-kubeconfig', { component: 'kube-proxy' })
    : undefined;
}

function fromKubeconfig(file: string, flag: string, options: { component: string }): MastersClient {
  try {
    return connectFromKubeconfig({ ...options, kubeconfig: file }).client;
  } catch (err) {
    if (err instanceof KubeconfigError) throw new ConfigError(`${flag}: ${err.message}`);
    throw err;
  }
}
