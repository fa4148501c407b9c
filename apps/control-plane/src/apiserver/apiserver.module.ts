import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { HEALTHY, HealthRegistry, JsonLogger, unhealthy } from '@flotilla/observability';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiServer,
  TokenAuthenticator,
  attachPodStreams,
  attachWebSocketWatch,
  backendOf,
  parseEncryptionConfiguration,
  parseAuditPolicy,
  AuditPolicy,
  AuditLogFile,
  METADATA_POLICY,
} from '@flotilla/apiserver';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import { REPLICATED_STORE } from '../replication/replication.tokens';
import { ApiController } from './api.controller';
import { API_SERVER } from './apiserver.tokens';
import { authenticateUpgrade } from './auth-gate';
import { settingError } from '@flotilla/process';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import type { SecurityConfig } from '../config/security-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';

/**
 * WebSocket watches on the API port, and the admission caches warmed. The API server's own loops
 * (namespaces, the kubernetes Service, master Leases) are controllers: components/apiserver-loops.
 */
@Injectable()
class ApiServerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private detachWs: (() => void) | undefined;
  private detachStreams: (() => void) | undefined;

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const secure = this.config.security?.mode === 'secure';
    this.detachWs = attachWebSocketWatch(
      http,
      this.server.handler,
      this.server.watchSettings,
      secure ? (req) => authenticateUpgrade(this.server, req) : undefined,
    );
    // Ready once the stored CustomResourceDefinitions are served (kube's crd-informer-synced).
    let crdsSynced = false;
    void this.server.customResourcesSynced().then(() => (crdsSynced = true));
    this.health.register({
      name: 'crd-informer-synced',
      endpoints: ['readyz'],
      check: () => (crdsSynced ? HEALTHY : unhealthy('custom resource definitions not synced yet')),
    });
    // pods/exec, attach and portforward, and nodes/proxy upgrades: authenticated, authorized,
    // then proxied to the kubelet.
    this.detachStreams = attachPodStreams(http, {
      resolve: (ns, name, sub, query) => this.server.kubeletRequest(ns, name, sub, query),
      resolveNodeProxy: (input) => this.server.nodeProxyRequest(input),
      dialer: this.server.kubelets,
      authenticate: secure ? (req) => authenticateUpgrade(this.server, req) : undefined,
      authorize: (req) => this.server.handler.authorize(req),
    });
    // Namespace lifecycle and pod priority admission read these caches on every create.
    this.server.warmCaches();
  }

  onApplicationShutdown(): void {
    this.detachWs?.();
    this.detachStreams?.();
    this.server.stop();
  }
}

/** The audit log, when a policy or a path is given: a policy alone logs to DATA/audit.log. */
function auditSettings(
  secure: Extract<SecurityConfig, { mode: 'secure' }>,
  dataDir: string,
  log: ReturnType<JsonLogger['child']>,
): { policy: AuditPolicy; sink: AuditLogFile } | undefined {
  if (!secure.auditPolicyFile && !secure.auditLogPath) return undefined;
  const policy = secure.auditPolicyFile
    ? readSetting('--audit-policy-file', () =>
        parseAuditPolicy(readFileSync(secure.auditPolicyFile!, 'utf8')),
      )
    : METADATA_POLICY;
  let lastError = '';
  const sink = new AuditLogFile({
    path: secure.auditLogPath ?? join(dataDir, 'audit.log'),
    maxBytes: secure.auditLogMaxSizeMb * 1024 * 1024,
    maxBackups: secure.auditLogMaxBackups,
    onError: (err) => {
      // Once per distinct problem: a full disk would otherwise log on every request.
      if (String(err) === lastError) return;
      lastError = String(err);
      log.error('cannot write the audit log', { error: lastError });
    },
  });
  return { policy, sink };
}

/** A file a flag names, read at start: a clear one-line error when it cannot be. */
function readSetting<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw settingError(flag, (e as Error).message);
  }
}

/** The Kubernetes REST API on the API port, over the replicated store (global: components use it in process). */
@Global()
@Module({})
export class ApiServerModule {
  static forRoot(): DynamicModule {
    return {
      module: ApiServerModule,
      controllers: [ApiController],
      providers: [
        {
          provide: API_SERVER,
          inject: [REPLICATED_STORE, Registry, JsonLogger, CONTROL_PLANE_CONFIG],
          useFactory: (
            store: ReplicatedStore,
            registry: Registry,
            logger: JsonLogger,
            config: ControlPlaneConfig,
          ) => {
            const log = logger.child('apiserver');
            const security = config.security;
            const secure = security?.mode === 'secure' ? security : undefined;
            return new ApiServer(backendOf(store), {
              authorization: secure ? 'RBAC' : 'AlwaysAllow',
              tokenAuth: secure?.tokenAuthFile
                ? readSetting('--token-auth-file', () =>
                    TokenAuthenticator.fromFile(secure.tokenAuthFile!),
                  )
                : undefined,
              serviceAccountKey: secure?.serviceAccountKeyFile
                ? readSetting('--service-account-key-file', () =>
                    readFileSync(secure.serviceAccountKeyFile!),
                  )
                : undefined,
              encryption: secure?.encryptionConfigFile
                ? readSetting('--encryption-provider-config', () =>
                    parseEncryptionConfiguration(
                      readFileSync(secure.encryptionConfigFile!, 'utf8'),
                    ),
                  )
                : undefined,
              audit: secure ? auditSettings(secure, config.dataDir, log) : undefined,
              kubelets: secure
                ? {
                    tls: {
                      cert: secure.kubeletClientCertFile
                        ? readSetting('--kubelet-client-certificate', () =>
                            readFileSync(secure.kubeletClientCertFile!),
                          )
                        : undefined,
                      key: secure.kubeletClientKeyFile
                        ? readSetting('--kubelet-client-key', () =>
                            readFileSync(secure.kubeletClientKeyFile!),
                          )
                        : undefined,
                      ca: secure.kubeletCaFile
                        ? readSetting('--kubelet-certificate-authority', () =>
                            readFileSync(secure.kubeletCaFile!),
                          )
                        : undefined,
                      verify: secure.kubeletCaFile !== undefined,
                    },
                  }
                : undefined,
              serviceCidr: config.serviceCidr,
              serviceNodePortRange: config.serviceNodePortRange,
              metrics: registry,
              log: (level, msg, fields) => log[level](msg, fields),
            });
          },
        },
        ApiServerLifecycle,
      ],
      exports: [API_SERVER],
    };
  }
}
