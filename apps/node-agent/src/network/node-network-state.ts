// What the node's networking tells the kubelet: whether the pod network is in place (the Node's
// NetworkUnavailable condition waits for it).
import type { PodNetworkState } from '@flotilla/kubelet';

type Listener = () => void;

export class NodeNetworkState {
  private pod: PodNetworkState = {
    ready: false,
    message: 'waiting for the node and its pod CIDR',
  };
  private readonly listeners: Listener[] = [];

  /** managesPodNetwork: false when the agent writes no CNI configuration (--cni-conf-dir off). */
  constructor(readonly managesPodNetwork: boolean) {}

  get podNetwork(): PodNetworkState {
    return this.pod;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  setPodNetwork(ready: boolean, message: string): void {
    if (ready === this.pod.ready && message === this.pod.message) return;
    this.pod = { ready, message };
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
