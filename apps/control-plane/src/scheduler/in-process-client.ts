// The scheduler's client of this master's own API server, over the shared in-process transport,
// as system:kube-scheduler.
import { type ApiServer, SCHEDULER_USER } from '@flotilla/apiserver';
import { KubeClient } from '@flotilla/client';
import { inProcessTransport } from '../components/in-process-transport';

export function inProcessClient(server: ApiServer, component: string): KubeClient {
  // The API server is in this process: a client-side rate limit would only slow the scheduler.
  return new KubeClient({
    transport: inProcessTransport(server, SCHEDULER_USER),
    component,
    rateLimit: false,
  });
}
