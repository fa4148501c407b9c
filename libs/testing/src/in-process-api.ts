// The adapter between an ApiServer and @flotilla/client's in-process transport. It lives here,
// in a library for tests that may depend on both, because @flotilla/client must not import
// @flotilla/apiserver; the handler already has the transport's shape, so this only names it.
import type { ApiServer } from '@flotilla/apiserver';
import { InProcessApi, InProcessTransport, InProcessUser } from '@flotilla/client';

export function inProcessApi(server: ApiServer): InProcessApi {
  return {
    handle: (req) => server.handler.handleInProcess(req),
    bookmarkMs: server.watchSettings.bookmarkMs,
  };
}

/** `user`: who the requests are from (the server authorizes them when it runs RBAC). */
export function inProcessTransport(server: ApiServer, user?: InProcessUser): InProcessTransport {
  return new InProcessTransport(inProcessApi(server), user);
}
