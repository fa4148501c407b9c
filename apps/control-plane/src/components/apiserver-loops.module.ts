import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { Registry } from 'prom-client';
import { findResource, firstServiceIp, type KubeObject } from '@flotilla/api';
import {
  APISERVER_USER,
  defaultClusterRoleBindings,
  defaultClusterRoles,
  type ApiServer,
} from '@flotilla/apiserver';
import {
  ApiServerLoops,
  SystemObjectsController,
  MASTER_LEASE_REFRESH_MS,
  MASTER_LEASE_TTL_SECONDS,
  type ControllerLog,
  type MasterAddress,
} from '@flotilla/controllers';
import { JsonLogger } from '@flotilla/observability';
import type { RaftNode } from '@flotilla/raft-node';
import { API_SERVER } from '../apiserver/apiserver.tokens';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { RAFT_NODE } from '../replication/replication.tokens';
import { inProcessTransport } from './in-process-transport';

/** How long a stopping master tries to take itself out of the endpoints (no quorum: it can't). */
const LEAVE_TIMEOUT_MS = 3_000;

/**
 * The API server's own loops (system namespaces and PriorityClasses, this master's Lease, the
 * kubernetes Service and its endpoints), as controllers over the in-process client: they start
 * once a Raft leader is known (before that no request could succeed) and, on shutdown while Raft
 * still runs, take this master out of the endpoints.
 */
@Injectable()
class ApiServerLoopsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private loops: ApiServerLoops | undefined;
  private readonly log: ControllerLog;
  private lastProblem = '';

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(RAFT_NODE) private readonly node: RaftNode,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(JsonLogger) logger: JsonLogger,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(Registry) private readonly metrics: Registry,
  ) {
    this.log = logger.child('apiserver');
  }

  onApplicationBootstrap(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const lifecycle = this;
    this.loops = new ApiServerLoops({
      transport: inProcessTransport(this.server, APISERVER_USER),
      systemObjects: () =>
        this.config.security?.mode === 'secure' ? rbacBootstrapControllers() : [],
      settings: {
        masterName: this.config.name,
        self: () => this.masterAddress(),
        // Read when used: with --api-port 0 the port is known only once the server listens.
        get apiPort() {
          return lifecycle.apiPort();
        },
        clusterIP: firstServiceIp(this.server.serviceRanges.cidr),
        leaseDurationSeconds: this.config.masterLeaseTtlSeconds ?? MASTER_LEASE_TTL_SECONDS,
        refreshMs: this.config.masterLeaseRefreshMs ?? MASTER_LEASE_REFRESH_MS,
      },
      log: this.log,
      metrics: this.metrics,
    });
    this.node.on('leader', (lead: string) => {
      if (lead) this.loops?.start();
    });
    if (this.node.leader()) this.loops.start();
  }

  /** Raft still runs here (it stops in onApplicationShutdown): delete the Lease, then leave. */
  async beforeApplicationShutdown(): Promise<void> {
    const loops = this.loops;
    if (!loops) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LEAVE_TIMEOUT_MS);
    });
    try {
      await Promise.race([
        loops.leave().then(
          (outcome) => {
            if (outcome) this.log.info('left the kubernetes Service endpoints');
          },
          (err) =>
            this.log.warn('could not leave the kubernetes Service endpoints', {
              error: String(err),
            }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    await loops.stop();
  }

  /** This master's advertised address as an IPv4 address (a host name is looked up). */
  private async masterAddress(): Promise<MasterAddress | undefined> {
    const host = this.config.advertiseHost;
    let ip = host;
    if (isIP(host) === 0) {
      try {
        ip = (await lookup(host, { family: 4 })).address;
      } catch (err) {
        this.problem(
          'cannot resolve the advertised host; not in the kubernetes endpoints',
          String(err),
        );
        return undefined;
      }
    }
    if (isIP(ip) !== 4) {
      this.problem('the kubernetes endpoints are IPv4; not listing this master', ip);
      return undefined;
    }
    return { name: this.config.name, ip, port: this.apiPort() };
  }

  /** The port the API listens on (--api-port, or the one the system chose for port 0). */
  private apiPort(): number {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const address = http.address();
    return typeof address === 'object' && address ? address.port : this.config.apiPort;
  }

  /** Warns once per distinct problem, not every round. */
  private problem(msg: string, error: string): void {
    if (`${msg} ${error}` === this.lastProblem) return;
    this.lastProblem = `${msg} ${error}`;
    this.log.warn(msg, { error });
  }
}

/** The API server's own controllers, run by every master. */
@Module({})
export class ApiServerLoopsModule {
  static forRoot(): DynamicModule {
    return { module: ApiServerLoopsModule, providers: [ApiServerLoopsLifecycle] };
  }
}

/** The default ClusterRoles and ClusterRoleBindings, made again whenever one is missing. */
function rbacBootstrapControllers(): SystemObjectsController[] {
  const keep = (name: string, plural: string, objects: KubeObject[]) => {
    const resource = findResource('rbac.authorization.k8s.io', 'v1', plural);
    if (!resource) throw new Error(`the catalog has no rbac.authorization.k8s.io ${plural}`);
    const bodies = new Map(objects.map((o) => [o.metadata.name!, () => structuredClone(o)]));
    return new SystemObjectsController(name, resource, bodies);
  };
  return [
    keep('rbac-bootstrap-roles', 'clusterroles', defaultClusterRoles()),
    keep('rbac-bootstrap-bindings', 'clusterrolebindings', defaultClusterRoleBindings()),
  ];
}
