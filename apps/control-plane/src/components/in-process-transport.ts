// The master's components (controller manager, scheduler) reach their own master's API server
// through @flotilla/client's in-process transport: the same requests, handlers, admission and
// watch cache as over HTTP, without a socket. @flotilla/client may not import the API server, so
// the two meet here; the handler already has the transport's shape.
import type { ApiServer } from '@flotilla/apiserver';
import { InProcessTransport } from '@flotilla/client';

export function inProcessTransport(server: ApiServer): InProcessTransport {
  return new InProcessTransport({
    handle: (req) => server.handler.handleInProcess(req),
    bookmarkMs: server.watchSettings.bookmarkMs,
  });
}
