// One line for a controller test: a real API server (registry, validation, watch cache) over a
// local store in a temporary directory, and a client that calls it in-process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, ApiServerOptions, LocalBackend } from '@flotilla/apiserver';
import { InProcessUser, KubeClient, KubeClientOptions } from '@flotilla/client';
import { inProcessTransport } from './in-process-api';

export interface TestApi {
  server: ApiServer;
  backend: LocalBackend;
  /** A client over the in-process transport (no rate limit). */
  client: KubeClient;
  /**
   * Another client (another component), e.g. with its own User-Agent; `user` is who its
   * requests are from (with authorization 'RBAC'; the default client is in system:masters).
   */
  newClient(options?: Omit<KubeClientOptions, 'transport'>, user?: InProcessUser): KubeClient;
  /**
   * Another API server over the same store: a second master of the same cluster (its own watch
   * cache and handler), stopped by stop().
   */
  addServer(options?: ApiServerOptions): ApiServer;
  /** Compacts the store up to `revision` (watches and lists older than it get 410). */
  compact(revision: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestApiOptions extends ApiServerOptions {
  /** Client options for `client`. */
  client?: Omit<KubeClientOptions, 'transport'>;
  /**
   * False: start with an empty store (no namespaces, no system PriorityClasses), as a master
   * does before its own loops have run.
   */
  bootstrap?: boolean;
}

/** Who the test's clients are unless told: an admin, whatever the authorization mode. */
export const TEST_ADMIN: InProcessUser = {
  name: 'test-admin',
  groups: ['system:masters', 'system:authenticated'],
};

/**
 * Starts the API server with its bootstrap namespaces (default, kube-system, kube-public,
 * kube-node-lease). Call stop() in afterAll/afterEach.
 */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const { client: clientOptions, bootstrap = true, ...serverOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-test-api-'));
  const backend = await LocalBackend.open(dir);
  const server = new ApiServer(backend, { watchWindow: 1000, bookmarkMs: 1000, ...serverOptions });
  if (bootstrap) await server.bootstrap();
  else server.warmCaches();
  const clients: KubeClient[] = [];
  const newClient = (o: Omit<KubeClientOptions, 'transport'> = {}, user = TEST_ADMIN) => {
    const c = new KubeClient({
      component: 'test',
      rateLimit: false,
      ...o,
      transport: inProcessTransport(server, user),
    });
    clients.push(c);
    return c;
  };
  const client = newClient(clientOptions);
  const servers: ApiServer[] = [];
  return {
    server,
    backend,
    client,
    newClient,
    addServer(o) {
      const extra = new ApiServer(backend, { watchWindow: 1000, bookmarkMs: 1000, ...o });
      servers.push(extra);
      return extra;
    },
    compact: (revision) => backend.compact(revision),
    async stop() {
      for (const c of clients) c.close();
      for (const s of servers) s.stop();
      server.stop();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
