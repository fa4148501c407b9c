// What the API server's own controllers need to know about the master they run in.
import type { MasterAddress } from './kubernetes-service';

export interface ApiServerLoopSettings {
  /** This master's name (--name): its Lease is kube-apiserver-<name>. */
  masterName: string;
  /**
   * Where this master serves the API, as the endpoints should list it; undefined when it cannot
   * be listed (no IPv4 address): it then keeps no Lease and stays out of the endpoints.
   */
  self(): Promise<MasterAddress | undefined>;
  /** The API port: the kubernetes Service's targetPort when this master creates it. */
  apiPort: number;
  /** The kubernetes Service's ClusterIP (the first address of the service range). */
  clusterIP: string;
  /** How long this master's Lease outlives its last renewal (--master-lease-ttl). */
  leaseDurationSeconds: number;
  /** How often the Lease is renewed and the endpoints rewritten (--master-lease-refresh). */
  refreshMs: number;
}
