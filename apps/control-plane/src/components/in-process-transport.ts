// The master's components (controller manager, scheduler) reach their own master's API server
// through @flotilla/client's in-process transport: the same requests, handlers, admission and
// watch cache as over HTTP, without a socket. @flotilla/client may not import the API server, so
// the two meet here; the handler already has the transport's shape.
//
// Every request carries the component's identity (system:kube-controller-manager,
// system:kube-scheduler): in the secure mode the API server authorizes it by RBAC as it would the
// component's client certificate, so a component can do only what its ClusterRole grants.
import type { ApiServer, UserInfo } from '@flotilla/apiserver';
import { InProcessTransport } from '@flotilla/client';

export function inProcessTransport(server: ApiServer, user: UserInfo): InProcessTransport {
  return new InProcessTransport(
    {
      handle: (req) => server.handler.handleInProcess(req),
      bookmarkMs: server.watchSettings.bookmarkMs,
    },
    user,
  );
}
