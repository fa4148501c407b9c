// A client of this master's own API server without sockets: @flotilla/client's in-process
// transport over the ApiServer's handler (the same small adapter as @flotilla/testing's, which
// production code may not import).
import type { ApiServer } from '@flotilla/apiserver';
import { InProcessTransport, KubeClient } from '@flotilla/client';

export function inProcessClient(server: ApiServer, component: string): KubeClient {
  const transport = new InProcessTransport({
    handle: (req) => server.handler.handle(req),
    bookmarkMs: server.watchSettings.bookmarkMs,
  });
  // The API server is in this process: a client-side rate limit would only slow the scheduler.
  return new KubeClient({ transport, component, rateLimit: false });
}
