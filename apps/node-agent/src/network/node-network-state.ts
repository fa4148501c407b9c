// What the node's networking tells the kubelet: whether the pod network is in place (the Node's
// NetworkUnavailable condition waits for it) and at which address cluster DNS answers (the
// nameserver of every pod's resolv.conf when no --cluster-dns was given).
import type { PodNetworkState } from '@flotilla/kubelet';

type Listener = () => void;

export class NodeNetworkState {
  private pod: PodNetworkState = {
    ready: false,
    message: 'waiting for the node and its pod CIDR',
  };
  private dns: string | undefined;
  private readonly listeners: Listener[] = [];

  /** managesPodNetwork: false when the agent writes no CNI configuration (--cni-conf-dir off). */
  constructor(readonly managesPodNetwork: boolean) {}

  get podNetwork(): PodNetworkState {
    return this.pod;
  }

  get clusterDns(): string | undefined {
    return this.dns;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  setPodNetwork(ready: boolean, message: string): void {
    if (ready === this.pod.ready && message === this.pod.message) return;
    this.pod = { ready, message };
    this.changed();
  }

  setClusterDns(ip: string): void {
    if (ip === this.dns) return;
    this.dns = ip;
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
