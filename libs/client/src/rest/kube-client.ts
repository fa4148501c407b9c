// The client a component holds: one transport (HTTP to the masters, or in-process), the
// per-client rate limit, 429 handling, the User-Agent; resource clients come from it.
import { ApiError, findByKind, KubeObject, RESOURCES, ResourceInfo } from '@flotilla/api';
import { DEFAULT_RATE_LIMIT, RateLimit, TokenBucket } from '../transport/rate-limiter';
import type { RestRequest, RestResponse, StreamOpening, Transport } from '../transport/transport';
import { userAgent } from '../transport/user-agent';
import { decodeBody, toApiError } from './codec';
import { ResourceClient } from './resource-client';
import type {
  ConfigMap,
  Deployment,
  EndpointSlice,
  Event,
  Lease,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  Service,
} from './types';

export interface KubeClientOptions {
  transport: Transport;
  /** Names the component in the User-Agent (flotilla-<component>/<version>). */
  component?: string;
  /** The whole User-Agent, instead of the one built from `component`. */
  userAgent?: string;
  /** Per-client token bucket; false for none (tests, benchmarks). */
  rateLimit?: RateLimit | false;
  /** Exchange objects in Kubernetes protobuf where the server speaks it (JSON otherwise). */
  protobuf?: boolean;
  /** 429 answers retried at most this many times per request. */
  maxRetries429?: number;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class KubeClient {
  readonly transport: Transport;
  readonly userAgent: string;
  /** The field manager writes are recorded under unless told otherwise (apply needs one). */
  readonly fieldManager: string;
  readonly protobuf: boolean;
  private readonly limiter: TokenBucket | undefined;
  private readonly maxRetries429: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: KubeClientOptions) {
    this.transport = options.transport;
    this.userAgent = options.userAgent ?? userAgent(options.component ?? 'client');
    this.fieldManager = this.userAgent.split('/')[0];
    this.protobuf = options.protobuf ?? false;
    const limit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
    this.limiter = limit ? new TokenBucket(limit) : undefined;
    this.maxRetries429 = options.maxRetries429 ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** One resource, in one namespace (or all namespaces / cluster-scoped when unset). */
  resource<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace?: string,
  ): ResourceClient<T> {
    return new ResourceClient<T>(this, info, info.namespaced ? namespace : undefined);
  }

  /** A resource by apiVersion and kind ('apps/v1', 'Deployment'). */
  forKind<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
  ): ResourceClient<T> {
    const info = findByKind(apiVersion, kind);
    if (!info) throw new Error(`the server serves no kind ${kind} in ${apiVersion}`);
    return this.resource<T>(info, namespace);
  }

  /** A resource by its plural name and group ('deployments', 'apps'). */
  forResource<T extends KubeObject = KubeObject>(
    plural: string,
    group = '',
    namespace?: string,
  ): ResourceClient<T> {
    const info = RESOURCES.find((r) => r.plural === plural && r.group === group);
    if (!info)
      throw new Error(`the server serves no resource ${plural}${group ? `.${group}` : ''}`);
    return this.resource<T>(info, namespace);
  }

  pods = (namespace?: string) => this.resource<Pod>(core('pods'), namespace);
  nodes = () => this.resource<Node>(core('nodes'));
  services = (namespace?: string) => this.resource<Service>(core('services'), namespace);
  configMaps = (namespace?: string) => this.resource<ConfigMap>(core('configmaps'), namespace);
  namespaces = () => this.resource<Namespace>(core('namespaces'));
  endpointSlices = (namespace?: string) =>
    this.resource<EndpointSlice>(of('discovery.k8s.io', 'endpointslices'), namespace);
  leases = (namespace?: string) =>
    this.resource<Lease>(of('coordination.k8s.io', 'leases'), namespace);
  /** events.k8s.io/v1 Events (what `kubectl events` and the event recorder use). */
  events = (namespace?: string) => this.resource<Event>(of('events.k8s.io', 'events'), namespace);
  deployments = (namespace?: string) =>
    this.resource<Deployment>(of('apps', 'deployments'), namespace);
  replicaSets = (namespace?: string) =>
    this.resource<ReplicaSet>(of('apps', 'replicasets'), namespace);

  /**
   * Sends one request: waits for the rate limiter, retries 429 answers after their Retry-After
   * (bounded), and returns the answer whatever its status.
   */
  async send(req: RestRequest): Promise<RestResponse> {
    const withHeaders = this.withUserAgent(req);
    for (let attempt = 0; ; attempt++) {
      await this.limiter?.take();
      const res = await this.transport.request(withHeaders);
      if (res.status !== 429 || attempt >= this.maxRetries429) return res;
      await this.sleep(this.retryAfterMs(res));
    }
  }

  /** Opens a streaming GET (a watch), rate-limited like any request; 429 retried likewise. */
  async openStream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening> {
    const withHeaders = this.withUserAgent(req);
    for (let attempt = 0; ; attempt++) {
      await this.limiter?.take();
      const opening = await this.transport.stream(withHeaders, onData);
      if (opening.kind === 'stream' || opening.response.status !== 429) return opening;
      if (attempt >= this.maxRetries429) return opening;
      await this.sleep(this.retryAfterMs(opening.response));
    }
  }

  /** GET of any path (discovery, /version): the decoded JSON, or an ApiError. */
  async getJson<T = unknown>(path: string, query?: URLSearchParams): Promise<T> {
    const res = await this.send({
      method: 'GET',
      path,
      query,
      headers: { accept: 'application/json' },
      idempotent: true,
    });
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return decodeBody(res) as T;
  }

  close(): void {
    this.transport.close();
  }

  private withUserAgent(req: RestRequest): RestRequest {
    return { ...req, headers: { 'user-agent': this.userAgent, ...req.headers } };
  }

  /** Retry-After in seconds (the header, else the Status details), 1 s when absent. */
  private retryAfterMs(res: RestResponse): number {
    let seconds = Number(res.headers['retry-after']);
    if (!Number.isFinite(seconds) || seconds < 0) {
      try {
        const status = toApiError(res).status as { details?: { retryAfterSeconds?: unknown } };
        seconds = Number(status.details?.retryAfterSeconds ?? 1);
      } catch {
        seconds = 1;
      }
    }
    if (!Number.isFinite(seconds) || seconds < 0) seconds = 1;
    return Math.min(seconds * 1000, this.maxRetryAfterMs);
  }
}

function of(group: string, plural: string): ResourceInfo {
  const info = RESOURCES.find((r) => r.group === group && r.plural === plural);
  if (!info) throw new ApiError(404, 'NotFound', `no resource ${plural} in group "${group}"`);
  return info;
}

const core = (plural: string) => of('', plural);
