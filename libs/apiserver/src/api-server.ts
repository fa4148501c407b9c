import { randomInt, randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { findResource } from '@flotilla/api';
import { ensureBootstrapNamespaces } from './admission/bootstrap-namespaces';
import { ensureSystemPriorityClasses } from './admission/priority';
import {
  checkTolerationSeconds,
  DEFAULT_TOLERATIONS,
  type DefaultTolerationSeconds,
} from './admission/default-toleration-seconds';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  parseNodePortRange,
  parseServiceCidr,
  ServiceRanges,
} from './admission/service-ranges';
import { CrdController } from './crd/crd-controller';
import { ALWAYS_ALLOW, Authorizer, AuthorizerChain } from './auth/authorizer';
import { ensureBootstrapPolicy } from './auth/bootstrap-policy';
import { RbacAuthorizer } from './auth/rbac-authorizer';
import { NodeAuthorizer } from './auth/node-authorizer';
import { admitNodeRestriction } from './admission/node-restriction';
import { ObjectLookup, RequestAuthenticator } from './auth/request-authenticator';
import { Reviews } from './auth/reviews';
import { ServiceAccountJwt } from './auth/service-account-jwt';
import { ApiHandler } from './http/api-handler';
import { KubeletDialer, type KubeletDialerOptions } from './proxy/kubelet-proxy';
import {
  kubeletRequestFor,
  type KubeletRequest,
  type PodStreamSubresource,
} from './proxy/pod-kubelet';
import { nodeProxyRequest, splitNodeProxyId, type NodeProxyInput } from './proxy/node-proxy';
import type { TokenAuthenticator } from './http/token-auth';
import { objectKey } from './storage/key-layout';
import { WatchStreamSettings } from './http/node-sinks';
import { ApiServerMetrics } from './metrics/apiserver-metrics';
import { ObjectReader } from './registry/object-reader';
import { ObjectRegistry } from './registry/object-registry';
import type { KvBackend } from './storage/kv-backend';
import type { AuditPolicy } from './audit/audit-policy';
import { Auditor, AuditSink } from './audit/auditor';
import type { EncryptionRule } from './storage/encryption/encryption-config';
import { encryptingBackend, StorageEncryption } from './storage/encryption/encrypting-backend';
import { ObjectStore } from './storage/object-store';
import { WatchCaches } from './watch/watch-caches';

export interface ApiServerOptions {
  /** ClusterIPs are drawn from here; its first address is the kubernetes Service's. */
  serviceCidr?: string;
  /** NodePorts are drawn from here, e.g. '30000-32767'. */
  serviceNodePortRange?: string;
  clock?: () => Date;
  newUid?: () => string;
  random?: (n: number) => number;
  metrics?: Registry;
  /** Recent changes each resource's watch cache keeps. */
  watchWindow?: number;
  /** How often watches that asked for bookmarks get one. */
  bookmarkMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /**
   * The DefaultTolerationSeconds admission: how long pods tolerate not-ready and unreachable
   * nodes unless they say (kube-apiserver's --default-not-ready-toleration-seconds and
   * --default-unreachable-toleration-seconds; 300 each).
   */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
  /** How the API server connects to kubelets (pods/log, exec, attach, portforward). */
  kubelets?: KubeletDialerOptions;
  /**
   * 'RBAC': every request is authorized (system:masters, then RBAC) and the default roles are
   * created at bootstrap. 'AlwaysAllow' (the default: tests, --insecure): every request passes.
   */
  authorization?: 'AlwaysAllow' | 'RBAC';
  /** Static bearer tokens (--token-auth-file). */
  tokenAuth?: TokenAuthenticator;
  /** PEM EC P-256 private key: signs and verifies service-account tokens. */
  serviceAccountKey?: string | Buffer;
  /** The audit log: which requests at which level (--audit-policy-file), and where they go. */
  audit?: { policy: AuditPolicy; sink: AuditSink };
  /** Encryption at rest (--encryption-provider-config), parsed. */
  encryption?: EncryptionRule[];
}

/** The API server's parts over one store, ready to be served by any HTTP framework. */
export class ApiServer {
  readonly store: ObjectStore;
  readonly caches: WatchCaches;
  readonly handler: ApiHandler;
  readonly metrics: ApiServerMetrics | undefined;
  readonly watchSettings: WatchStreamSettings;
  readonly serviceRanges: ServiceRanges;
  /** Connections to kubelets: pods/log, exec, attach and portforward go through it. */
  readonly kubelets: KubeletDialer;
  /** Who a request is from; the HTTP layer asks it (the in-process transport names its user). */
  readonly authenticator: RequestAuthenticator;
  /** The audit log's writer, for requests the HTTP edge turns away before the handler. */
  readonly auditor: Auditor | undefined;
  private readonly auditSink: AuditSink | undefined;
  /** What every request goes through; ALWAYS_ALLOW in the insecure mode. */
  readonly authorizer: Authorizer & { ready?(): Promise<void> };
  private readonly rbac: boolean;
  private readonly clock: () => Date;
  private readonly newUid: () => string;
  private readonly registry: ObjectRegistry;
  private readonly crds: CrdController;

  constructor(store: KvBackend, opts: ApiServerOptions = {}) {
    const kv = opts.encryption
      ? encryptingBackend(store, new StorageEncryption(opts.encryption))
      : store;
    this.clock = opts.clock ?? (() => new Date());
    this.newUid = opts.newUid ?? randomUUID;
    const random = opts.random ?? ((n: number) => randomInt(n));
    this.serviceRanges = {
      cidr: parseServiceCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR),
      nodePorts: parseNodePortRange(opts.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE),
    };
    this.store = new ObjectStore(kv);
    this.caches = new WatchCaches(kv, {
      windowSize: opts.watchWindow ?? 5000,
      watcherQueue: 10_000,
      log: (msg, fields) => opts.log?.('warn', msg, fields),
    });
    this.rbac = opts.authorization === 'RBAC';
    const admit = this.rbac ? admitNodeRestriction : undefined;
    this.registry = new ObjectRegistry({
      admit,
      store: this.store,
      caches: this.caches,
      clock: this.clock,
      newUid: this.newUid,
      random,
      serviceRanges: this.serviceRanges,
      tolerationSeconds: checkTolerationSeconds(
        opts.defaultTolerationSeconds ?? DEFAULT_TOLERATIONS,
      ),
    });
    const reader = new ObjectReader(this.store, this.caches);
    this.kubelets = new KubeletDialer(opts.kubelets);
    const lookup: ObjectLookup = (plural, namespace, name) =>
      this.store.get(objectKey({ group: '', plural, namespaced: true }, namespace, name), {
        serializable: true,
      });
    const jwt = opts.serviceAccountKey
      ? ServiceAccountJwt.fromPem(opts.serviceAccountKey)
      : undefined;
    const nowSeconds = () => Math.floor(this.clock().getTime() / 1000);
    this.authenticator = new RequestAuthenticator({
      tokens: opts.tokenAuth,
      serviceAccounts: jwt ? { jwt, lookup, nowSeconds } : undefined,
    });
    if (this.rbac) {
      // kube-apiserver's --authorization-mode=Node,RBAC.
      const node = new NodeAuthorizer(this.caches);
      const rbac = new RbacAuthorizer(this.caches);
      const chain = new AuthorizerChain([node, rbac]);
      this.authorizer = {
        authorize: (a) => chain.authorize(a),
        ready: () => Promise.all([node.ready(), rbac.ready()]).then(() => undefined),
      };
    } else {
      this.authorizer = ALWAYS_ALLOW;
    }
    this.auditor = opts.audit ? new Auditor(opts.audit.policy, opts.audit.sink) : undefined;
    this.auditSink = opts.audit?.sink;
    const reviews = new Reviews({
      authorizer: this.authorizer,
      authenticator: this.authenticator,
      jwt,
      lookup,
      nowSeconds,
    });
    this.metrics = opts.metrics
      ? new ApiServerMetrics(opts.metrics, () => this.caches.watcherCount)
      : undefined;
    this.handler = new ApiHandler({
      registry: this.registry,
      reader,
      clock: this.clock,
      observe: this.metrics ? (...a) => this.metrics!.observe(...a) : undefined,
      log: (msg, fields) => opts.log?.('error', msg, fields),
      kubelet: (ns, name, sub, query) => this.kubeletRequest(ns, name, sub, query),
      nodeProxy: (input) => this.nodeProxyRequest(input),
      authorizer: this.rbac ? this.authorizer : undefined,
      reviews,
      admit,
      audit: this.auditor,
    });
    const bookmarkMs = opts.bookmarkMs ?? 5000;
    this.watchSettings = {
      bookmarkMs,
      started: this.metrics ? (resource) => this.metrics!.watchStarted(resource) : undefined,
    };
    this.caches.startProgress(Math.max(100, Math.floor(bookmarkMs / 2)));
    this.crds = new CrdController({
      registry: this.registry,
      store: this.store,
      caches: this.caches,
      clock: this.clock,
      log: (msg, fields) => opts.log?.('warn', msg, fields),
    });
    this.crds.start();
  }

  /** Resolves once the CustomResourceDefinitions stored at start are served (if Established). */
  customResourcesSynced(): Promise<void> {
    return this.crds.whenSynced();
  }

  /** Where pods/<sub> of a pod is served: its node's kubelet, with the kubelet's path. */
  kubeletRequest(
    namespace: string,
    name: string,
    sub: PodStreamSubresource,
    query: URLSearchParams,
  ): Promise<KubeletRequest> {
    return kubeletRequestFor(
      (r, ns, n) => this.registry.get(r, ns, n),
      namespace,
      name,
      sub,
      query,
    );
  }

  /** Where nodes/<id>/proxy/<rest> goes: the node's kubelet (404 for a node that does not exist). */
  async nodeProxyRequest(input: NodeProxyInput): Promise<KubeletRequest> {
    const { name } = splitNodeProxyId(input.target.id);
    const node = await this.registry.get(findResource('', 'v1', 'nodes')!, undefined, name);
    return nodeProxyRequest(node, input);
  }

  /**
   * Loads the watch caches that admission reads on every write (namespaces for namespace
   * lifecycle, PriorityClasses for pod priority); call once the store serves reads.
   */
  warmCaches(): void {
    void this.caches
      .for({ group: '', plural: 'namespaces' })
      .start()
      .catch(() => undefined);
    this.registry.priorityClasses.warm();
  }

  /**
   * Writes the bootstrap namespaces and the system PriorityClasses straight into the store if
   * missing, and warms the caches; returns the namespaces it created. For tests and tools that
   * embed an API server: a master creates them through the API with the system-objects
   * controllers of @flotilla/controllers (apiserver/), as kube-apiserver's own loops do.
   */
  async bootstrap(): Promise<string[]> {
    const created = await ensureBootstrapNamespaces(this.store, this.clock, this.newUid);
    await ensureSystemPriorityClasses(this.store, this.clock, this.newUid);
    if (this.rbac) await ensureBootstrapPolicy(this.store, this.clock, this.newUid);
    this.warmCaches();
    return created;
  }

  stop(): void {
    this.crds.stop();
    this.caches.stop();
    void this.auditSink?.close?.();
  }
}
