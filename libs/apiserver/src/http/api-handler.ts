import {
  ApiError,
  apiErrors,
  APPLY_PATCH,
  applyPatch,
  apiVersionOf,
  fieldManagerProblems,
  findResource,
  isPlainObject,
  JsonObject,
  KubeObject,
  managerFromUserAgent,
  openApiV3Document,
  openApiV3Paths,
  PROTOBUF_MEDIA_TYPE,
  parseApplyBody,
  PATCH_TYPES,
  ResourceInfo,
  toTable,
} from '@flotilla/api';
import type { DeleteOptions } from '../registry/delete-decision';
import { ListQuery, parseListQuery } from '../registry/list-query';
import {
  dryRunOf,
  invalidOptions,
  OptionsKind,
  parseInt64,
  queryBool,
  wantsPretty,
} from '../registry/query-params';
import { mapStoreError, ObjectReader } from '../registry/object-reader';
import {
  ApplyOptions,
  FieldValidation,
  ObjectRegistry,
  Outcome,
  WriteOptions,
} from '../registry/object-registry';
import { parseJsonBody } from '../registry/request-checks';
import type { ApiWatch } from '../watch/watch-event';
import {
  POD_STREAM_SUBRESOURCES,
  type KubeletRequest,
  type PodStreamSubresource,
} from '../proxy/pod-kubelet';
import { nodeProxyPath, type NodeProxyInput } from '../proxy/node-proxy';
import { aggregatedDiscovery, negotiateDiscovery } from './aggregated-discovery';
import {
  acceptsOnlyProtobuf,
  decodeProtobufBody,
  encodeProtobufResponse,
  notAcceptableStatus,
  protobufAnswers,
} from './content-types';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery';
import {
  negotiateOutput,
  OutputChoice,
  parseMediaType,
  SERVED_MEDIA_TYPES,
  YAML_MEDIA_TYPE,
} from './media-types';
import { stringify as toYaml } from 'yaml';
import { ResourcePath, parseApiPath, verbOf } from './request-info';
import { forbidden, requestAttributes } from '../auth/authorizer';
import type { Attributes, Authorizer, Decision } from '../auth/authorizer';
import type { Auditor } from '../audit/auditor';
import type { Reviews } from '../auth/reviews';
import type { AdmissionAttributes } from '../admission/node-restriction';
import { ANONYMOUS, INSECURE_USER, UserInfo } from '../auth/user-info';

/** Kubernetes' request body limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** The methods Kubernetes' node proxy connects (OPTIONS has no RBAC verb: only '*' allows it). */
const NODE_PROXY_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A watch without timeoutSeconds ends after this long (clients re-watch). */
const DEFAULT_WATCH_SECONDS = 1800;

export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
  /** The client's address, for the audit log. */
  sourceIp?: string;
  /** Set when the body went over MAX_BODY_BYTES (then `body` is absent). */
  bodyTooLarge?: boolean;
  /**
   * Who sent it, as the HTTP layer authenticated it or the in-process transport names its
   * component; never read from the request itself. Absent: anonymous (or, without an
   * authorizer, the insecure mode's all-powerful user).
   */
  user?: UserInfo;
}

export type ApiResponse =
  /** `body` undefined: no body at all (304 Not Modified). */
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** Already encoded, e.g. application/vnd.kubernetes.protobuf for a client that accepts only that. */
  | {
      kind: 'bytes';
      status: number;
      contentType: string;
      body: Uint8Array;
      headers?: Record<string, string>;
    }
  | {
      kind: 'watch';
      watch: ApiWatch;
      timeoutMs: number;
      bookmarks: boolean;
      /** Framed protobuf events (stream=watch) for a client that accepts only protobuf. */
      protobuf?: { apiVersion: string };
    }
  /** pods/log and nodes/proxy: the HTTP layer passes this request to a kubelet (proxyKubelet). */
  | { kind: 'kubelet'; request: KubeletRequest };

export interface ApiHandlerDeps {
  registry: ObjectRegistry;
  reader: ObjectReader;
  clock: () => Date;
  /** Recorded per request: verb, resource, code, seconds. */
  observe?: (verb: string, resource: string, code: number, seconds: number) => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
  /** Where pods/log, exec, attach and portforward of a pod are served (its kubelet). */
  kubelet?: (
    namespace: string,
    name: string,
    sub: PodStreamSubresource,
    query: URLSearchParams,
  ) => Promise<KubeletRequest>;
  /** nodes/<id>/proxy/<rest>: the request on that node's kubelet. */
  nodeProxy?: (input: NodeProxyInput) => Promise<KubeletRequest>;
  /** Decides every request; absent: every request is allowed (the insecure mode). */
  authorizer?: Authorizer & { ready?(): Promise<void> };
  /** Access and token reviews, TokenRequest. */
  reviews?: Reviews;
  /** Records each request in the audit log; absent: no auditing. */
  audit?: Auditor;
  /** Admission that depends on who asks, for requests the registry does not write (TokenRequest). */
  admit?: (a: AdmissionAttributes) => void;
}

const header = (req: ApiRequest, name: string): string => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
};

/** The Kubernetes REST API, discovery and OpenAPI, independent of the HTTP framework. */
export class ApiHandler {
  constructor(private readonly d: ApiHandlerDeps) {}

  /**
   * For callers without sockets (in-process clients): pods/log and nodes/proxy, which stream from
   * a kubelet, are refused.
   */
  async handleInProcess(req: ApiRequest): Promise<Exclude<ApiResponse, { kind: 'kubelet' }>> {
    const response = await this.handle(req);
    if (response.kind !== 'kubelet') return response;
    return {
      kind: 'json',
      status: 400,
      body: apiErrors.badRequest('pods/log and nodes/proxy are served over HTTP only').status,
    };
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const started = process.hrtime.bigint();
    const received = this.d.audit ? this.d.clock() : undefined;
    let attributes: Attributes | undefined;
    let decision: Decision | undefined;
    let verb = req.method.toLowerCase();
    let resource = '';
    let response: ApiResponse;
    // /version and /openapi answer JSON whatever the client accepts, as Kubernetes' do; what a
    // proxied request accepts is the kubelet's business (its errors here are JSON).
    const negotiated =
      !req.path.startsWith('/version') &&
      !req.path.startsWith('/openapi/') &&
      nodeProxyPath(req.path) === undefined;
    const choice: OutputChoice | undefined = negotiated
      ? negotiateOutput(header(req, 'accept'))
      : { format: 'json', pretty: false };
    try {
      const parsed = parseApiPath(req.path);
      if (parsed.kind === 'resource') {
        resource = parsed.info.subresource
          ? `${parsed.info.resource}/${parsed.info.subresource}`
          : parsed.info.resource;
        verb = verbOf(req.method, parsed.info, isWatch(req.query));
      }
      attributes = requestAttributes(this.userOf(req), req.method, req.path, isWatch(req.query));
      decision = await this.authorizeAttributes(attributes);
      response = choice ? await this.route(req, choice) : notAcceptable();
    } catch (err) {
      response = errorResponse(err, this.d.log);
    }
    if (received && attributes) this.audit(req, attributes, decision, response, received);
    if (response.kind === 'json' && choice) response = encodeAnswer(req, response, choice);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.d.observe?.(
      verb.toUpperCase(),
      resource,
      response.kind === 'watch' || response.kind === 'kubelet' ? 200 : response.status,
      seconds,
    );
    return response;
  }

  /**
   * Throws Kubernetes' 403 unless the authorizer allows the request (also for requests served
   * outside handle(): pods/exec, attach and portforward upgrades).
   */
  async authorize(req: ApiRequest): Promise<void> {
    await this.authorizeAttributes(
      requestAttributes(this.userOf(req), req.method, req.path, isWatch(req.query)),
    );
  }

  /** Throws Kubernetes' 403 unless the authorizer allows the request; its word otherwise. */
  private async authorizeAttributes(a: Attributes): Promise<Decision | undefined> {
    const z = this.d.authorizer;
    if (!z) return undefined;
    await z.ready?.();
    const d = z.authorize(a);
    if (d.decision !== 'allow') throw forbidden(a, d.reason);
    return d;
  }

  /** One audit event for the request, at the level the policy gives it. */
  private audit(
    req: ApiRequest,
    attributes: Attributes,
    decision: Decision | undefined,
    response: ApiResponse,
    received: Date,
  ): void {
    const query = req.query.toString();
    const json = response.kind === 'json' ? response : undefined;
    // Streams (watches, logs from a kubelet) are logged as they start.
    const code = response.kind === 'watch' || response.kind === 'kubelet' ? 200 : response.status;
    const body = json?.body as Record<string, unknown> | undefined;
    const failure =
      code >= 400 && body?.kind === 'Status'
        ? { status: body.status, message: body.message, reason: body.reason }
        : undefined;
    const denied = failure?.reason === 'Forbidden' && decision === undefined && this.d.authorizer;
    // A create names its object in the body: the audit's objectRef takes the name from there.
    const meta = body?.metadata as Record<string, unknown> | undefined;
    const named =
      attributes.kind === 'resource' && attributes.name === '' && attributes.verb === 'create'
        ? typeof meta?.name === 'string' && body?.kind !== 'Status'
          ? { ...attributes, name: meta.name }
          : attributes
        : attributes;
    this.d.audit!.record({
      attributes: named,
      requestURI: query ? `${req.path}?${query}` : req.path,
      sourceIPs: req.sourceIp ? [req.sourceIp] : [],
      userAgent: header(req, 'user-agent') || undefined,
      code,
      failure,
      decision: decision
        ? { allowed: true, reason: decision.reason }
        : denied
          ? { allowed: false, reason: String(failure?.message ?? '') }
          : undefined,
      requestObject: () => {
        if (!req.body || req.body.length === 0) return undefined;
        try {
          return JSON.parse(req.body.toString('utf8')) as unknown;
        } catch {
          return undefined;
        }
      },
      responseObject: () => json?.body,
      received,
      completed: this.d.clock(),
      stage:
        response.kind === 'watch' || response.kind === 'kubelet'
          ? 'ResponseStarted'
          : 'ResponseComplete',
      auditID: header(req, 'audit-id') || undefined,
    });
  }

  private userOf(req: ApiRequest): UserInfo {
    return req.user ?? (this.d.authorizer ? ANONYMOUS : INSECURE_USER);
  }

  private async route(req: ApiRequest, choice: OutputChoice): Promise<ApiResponse> {
    if (req.path === '/version' || req.path === '/version/') return json(200, versionInfo());
    if (req.path === '/openapi/v2') {
      return json(404, apiErrors.notFound({ group: '', plural: '' }, 'openapi/v2').status);
    }
    if (req.path.startsWith('/openapi/v3')) return this.openApi(req.path);
    const parsed = parseApiPath(req.path);
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    switch (parsed.kind) {
      case 'versions':
        if (!isRead) return notAllowed();
        return (
          aggregated(req, 'api') ?? json(200, apiVersions(header(req, 'host') || '127.0.0.1:6443'))
        );
      case 'groups':
        if (!isRead) return notAllowed();
        return aggregated(req, 'apis') ?? json(200, apiGroupList());
      case 'group': {
        const g = apiGroup(parsed.group);
        return g ? json(200, g) : notFoundPath();
      }
      case 'resources': {
        const list = apiResourceList(parsed.group, parsed.version);
        return list ? json(200, list) : notFoundPath();
      }
      case 'resource':
        return this.resource(req, parsed.info, choice);
      default:
        return notFoundPath();
    }
  }

  private openApi(path: string): ApiResponse {
    const rest = path.replace(/^\/openapi\/v3\/?/, '');
    if (rest === '') return json(200, { paths: openApiV3Paths() });
    const parts = rest.split('/');
    const gv =
      parts[0] === 'api' && parts.length === 2
        ? { group: '', version: parts[1] }
        : parts[0] === 'apis' && parts.length === 3
          ? { group: parts[1], version: parts[2] }
          : undefined;
    const doc = gv ? openApiV3Document(gv.group, gv.version) : undefined;
    return doc ? json(200, doc) : notFoundPath();
  }

  private async resource(
    req: ApiRequest,
    p: ResourcePath,
    choice: OutputChoice,
  ): Promise<ApiResponse> {
    const r = findResource(p.group, p.version, p.resource);
    if (!r) return notFoundPath();
    if (p.namespace !== undefined && !r.namespaced && p.resource !== 'namespaces')
      return notFoundPath();
    const namespace = r.namespaced ? p.namespace : undefined;
    const verb = verbOf(req.method, p, isWatch(req.query));
    // Decided before anything is done, as Kubernetes negotiates: never 406 after a write.
    if (
      p.subresource !== 'proxy' &&
      acceptsOnlyProtobuf(header(req, 'accept')) &&
      !answersInProtobuf(r, p)
    )
      return protobufNotAcceptable();
    if (p.subresource !== undefined) return this.subresource(req, r, p, namespace, verb);
    if (!r.verbs.includes(verb)) throw apiErrors.methodNotSupported(r, verb);
    if (r.kind.endsWith('Review') && this.d.reviews) {
      const answer = await this.d.reviews.answer(
        r.kind,
        this.userOf(req),
        namespace,
        this.body(req),
      );
      return json(answer.status, answer.body);
    }
    const table = wantsTable(req);
    switch (verb) {
      case 'get': {
        checkGetResourceVersion(req.query);
        const obj = await this.d.registry.get(r, namespace, p.name!);
        return json(200, table ? this.table(r, [obj], req) : obj);
      }
      case 'list': {
        const q = parseListQuery(r, req.query);
        const list = await this.d.reader.list(r, namespace, q);
        const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
        if (list.continueToken) metadata.continue = list.continueToken;
        if (list.remainingItemCount !== undefined)
          metadata.remainingItemCount = list.remainingItemCount;
        if (table) return json(200, { ...this.table(r, list.items, req), metadata });
        return json(200, {
          kind: r.listKind,
          apiVersion: apiVersionOf(r),
          metadata,
          items: list.items,
        });
      }
      case 'watch':
        // YAML has no stream form; Kubernetes answers such a watch 406 too.
        if (choice.format === 'yaml') return notAcceptable();
        return this.watch(req, r, namespace, parseListQuery(r, req.query, p.watchPath), table);
      case 'create':
        if (p.name !== undefined) throw apiErrors.methodNotSupported(r, 'create');
        return outcome(
          await this.d.registry.create(
            r,
            namespace,
            this.body(req),
            writeOptions(req, 'CreateOptions'),
          ),
        );
      case 'update':
        return outcome(
          await this.d.registry.update(
            r,
            namespace,
            p.name!,
            this.body(req),
            writeOptions(req, 'UpdateOptions'),
          ),
        );
      case 'patch':
        if (isApply(req)) {
          const opts = applyOptions(req);
          return outcome(
            await this.d.registry.apply(r, namespace, p.name!, this.applyBody(req), opts),
          );
        }
        return outcome(
          await this.d.registry.patch(
            r,
            namespace,
            p.name!,
            patchType(req),
            this.patchBody(req),
            writeOptions(req, 'PatchOptions'),
          ),
        );
      case 'delete':
        return outcome(
          await this.d.registry.delete(
            r,
            namespace,
            p.name!,
            deleteOptions(req, this.body(req, true)),
          ),
        );
      case 'deletecollection': {
        const options = deleteOptions(req, this.body(req, true));
        const list = await this.d.reader.list(r, namespace, parseListQuery(r, req.query));
        return outcome(await this.d.registry.deleteCollection(r, list.items, options));
      }
      default:
        throw apiErrors.methodNotSupported(r, verb);
    }
  }

  private async subresource(
    req: ApiRequest,
    r: ResourceInfo,
    p: ResourcePath,
    namespace: string | undefined,
    verb: string,
  ): Promise<ApiResponse> {
    const sub = p.subresource!;
    if (p.name === undefined || !(r.subresources as string[]).includes(sub)) return notFoundPath();
    const name = p.name;
    const subRef = { group: r.group, plural: `${r.plural}/${sub}` };
    if (POD_STREAM_SUBRESOURCES.includes(sub)) {
      return this.podStream(req, subRef, namespace!, name, sub as PodStreamSubresource, verb);
    }
    if (sub === 'proxy') return this.nodeProxy(req, subRef, verb);
    if (sub === 'binding') {
      if (verb !== 'create') throw apiErrors.methodNotSupported(subRef, verb);
      return outcome(await this.d.registry.bind(namespace!, name, this.body(req), r));
    }
    if (sub === 'token') {
      if (verb !== 'create') throw apiErrors.methodNotSupported(subRef, verb);
      if (!this.d.reviews) throw apiErrors.badRequest('this server issues no tokens');
      const user = req.user;
      const admit = this.d.admit;
      const answer = await this.d.reviews.tokenRequest(
        namespace!,
        name,
        this.body(req),
        user && admit
          ? (pod) =>
              admit({
                user,
                operation: 'CREATE',
                resource: { group: '', plural: 'serviceaccounts' },
                subresource: 'token',
                namespace,
                name,
                object: pod,
              })
          : undefined,
      );
      return json(answer.status, answer.body);
    }
    if (sub === 'eviction') {
      if (verb !== 'create') throw apiErrors.methodNotSupported(subRef, verb);
      const body = this.body(req);
      const options = isPlainObject(body) ? body.deleteOptions : undefined;
      return outcome(
        await this.d.registry.evict(r, namespace!, name, body, deleteOptions(req, options ?? {})),
      );
    }
    if (sub === 'finalize') {
      // Kubernetes serves only PUT here: the namespace controller's "this namespace is empty".
      if (verb !== 'update') throw apiErrors.methodNotSupported(subRef, verb);
      return outcome(
        await this.d.registry.update(
          r,
          namespace,
          name,
          this.body(req),
          writeOptions(req, 'UpdateOptions'),
          'finalize',
        ),
      );
    }
    if (sub === 'status') {
      switch (verb) {
        case 'get':
          return json(200, await this.d.registry.get(r, namespace, name));
        case 'update':
          return outcome(
            await this.d.registry.update(
              r,
              namespace,
              name,
              this.body(req),
              writeOptions(req, 'UpdateOptions'),
              'status',
            ),
          );
        case 'patch':
          if (isApply(req)) {
            const opts = applyOptions(req);
            return outcome(
              await this.d.registry.apply(r, namespace, name, this.applyBody(req), opts, 'status'),
            );
          }
          return outcome(
            await this.d.registry.patch(
              r,
              namespace,
              name,
              patchType(req),
              this.patchBody(req),
              writeOptions(req, 'PatchOptions'),
              'status',
            ),
          );
        default:
          throw apiErrors.methodNotSupported(subRef, verb);
      }
    }
    // scale
    switch (verb) {
      case 'get':
        return outcome(await this.d.registry.getScale(r, namespace, name));
      case 'update': {
        const body = this.body(req);
        if (!isPlainObject(body))
          throw apiErrors.badRequest('the body of the request must be a Scale object');
        const scale = {
          ...body,
          metadata: isPlainObject(body.metadata) ? body.metadata : {},
        } as KubeObject;
        if (scale.kind !== undefined && scale.kind !== 'Scale') {
          throw apiErrors.badRequest(
            `the kind in the data (${String(scale.kind)}) does not match the expected kind (Scale)`,
          );
        }
        return outcome(
          await this.d.registry.updateScale(
            r,
            namespace,
            name,
            () => scale,
            writeOptions(req, 'UpdateOptions'),
          ),
        );
      }
      case 'patch': {
        if (isApply(req)) {
          const opts = applyOptions(req);
          return outcome(
            await this.d.registry.applyScale(r, namespace, name, this.applyBody(req), opts),
          );
        }
        const type = patchType(req);
        const patch = this.patchBody(req);
        const scaleInfo: ResourceInfo = {
          ...r,
          group: 'autoscaling',
          kind: 'Scale',
          plural: 'scale',
          subresources: [],
          custom: undefined,
        };
        return outcome(
          await this.d.registry.updateScale(
            r,
            namespace,
            name,
            (current) => applyPatch(type, current, patch, scaleInfo),
            writeOptions(req, 'PatchOptions'),
          ),
        );
      }
      default:
        throw apiErrors.methodNotSupported(subRef, verb);
    }
  }

  /** pods/log is proxied here; exec, attach and portforward only as upgrades (attachPodStreams). */
  private async podStream(
    req: ApiRequest,
    subRef: { group: string; plural: string },
    namespace: string,
    name: string,
    sub: PodStreamSubresource,
    verb: string,
  ): Promise<ApiResponse> {
    if (sub === 'log') {
      if (verb !== 'get') throw apiErrors.methodNotSupported(subRef, verb);
    } else {
      if (verb !== 'get' && verb !== 'create') throw apiErrors.methodNotSupported(subRef, verb);
      throw apiErrors.badRequest('Upgrade request required');
    }
    if (!this.d.kubelet)
      throw apiErrors.serviceUnavailable('this API server does not reach kubelets');
    return { kind: 'kubelet', request: await this.d.kubelet(namespace, name, sub, req.query) };
  }

  /** nodes/proxy: the request goes to the node's kubelet as it came. */
  private async nodeProxy(
    req: ApiRequest,
    subRef: { group: string; plural: string },
    verb: string,
  ): Promise<ApiResponse> {
    if (!NODE_PROXY_METHODS.has(req.method)) {
      throw apiErrors.methodNotSupported(subRef, verb || req.method.toLowerCase());
    }
    const target = nodeProxyPath(req.path);
    if (!target) return notFoundPath();
    if (req.bodyTooLarge)
      throw apiErrors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
    if (!this.d.nodeProxy)
      throw apiErrors.serviceUnavailable('this API server does not reach kubelets');
    const request = await this.d.nodeProxy({
      method: req.method,
      target,
      query: req.query,
      headers: req.headers,
      body: req.body,
    });
    return { kind: 'kubelet', request };
  }

  private async watch(
    req: ApiRequest,
    r: ResourceInfo,
    namespace: string | undefined,
    q: ListQuery,
    table: boolean,
  ): Promise<ApiResponse> {
    // A protobuf-only client gets length-delimited WatchEvent frames, for kinds with a schema.
    const protobuf = !table && acceptsOnlyProtobuf(header(req, 'accept'));
    if (protobuf && !protobufAnswers(apiVersionOf(r), r.kind)) return protobufNotAcceptable();
    if (table) includeObjectOf(req);
    const transform = table ? (o: KubeObject) => this.table(r, [o], req) : undefined;
    const watch = await this.d.reader.watch(r, namespace, q, transform);
    const seconds =
      q.timeoutSeconds && q.timeoutSeconds > 0 ? q.timeoutSeconds : DEFAULT_WATCH_SECONDS;
    return {
      kind: 'watch',
      watch,
      timeoutMs: seconds * 1000,
      bookmarks: q.allowWatchBookmarks,
      ...(protobuf ? { protobuf: { apiVersion: apiVersionOf(r) } } : {}),
    };
  }

  private table(r: ResourceInfo, objects: KubeObject[], req: ApiRequest): Record<string, unknown> {
    const includeObject = includeObjectOf(req);
    return toTable(r, objects, { wide: true, includeObject, now: this.d.clock() });
  }

  private body(req: ApiRequest, optional = false): unknown {
    if (req.bodyTooLarge)
      throw apiErrors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
    if (!optional || (req.body && req.body.length > 0)) {
      const type = bodyMediaType(req);
      // kubectl's generators (create namespace|configmap|secret|deployment|service...) send protobuf.
      if (type === PROTOBUF_MEDIA_TYPE) {
        if (req.body && req.body.length > 0) return decodeProtobufBody(req.body);
      } else if (type === YAML_MEDIA_TYPE) {
        if (req.body && req.body.length > 0) return parseApplyBody(req.body);
      }
    }
    const parsed = parseJsonBody(req.body);
    if (parsed === undefined && !optional) throw apiErrors.badRequest('the request body is empty');
    return parsed;
  }

  /** The body of a server-side apply: one YAML (or JSON) document. */
  private applyBody(req: ApiRequest): JsonObject {
    if (req.bodyTooLarge)
      throw apiErrors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
    return parseApplyBody(req.body);
  }

  private patchBody(req: ApiRequest): unknown {
    if (req.bodyTooLarge)
      throw apiErrors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
    const parsed = parseJsonBody(req.body);
    if (parsed === undefined) throw apiErrors.badRequest('the request body is empty');
    return parsed;
  }
}

/**
 * GET /api or /apis asking for an APIGroupDiscoveryList: the aggregated document, with the
 * Content-Type naming the chosen version, an ETag, and 304 when the client already has it.
 */
function aggregated(req: ApiRequest, root: 'api' | 'apis'): ApiResponse | undefined {
  const version = negotiateDiscovery(header(req, 'accept'));
  if (!version) return undefined;
  const doc = aggregatedDiscovery(root, version);
  const headers = {
    'content-type': doc.contentType,
    etag: doc.etag,
    vary: 'Accept',
    'cache-control': 'public',
  };
  if (header(req, 'if-none-match') === doc.etag) return json(304, undefined, headers);
  return json(200, doc.body, headers);
}

/** TableOptions.includeObject: empty means Metadata; anything else is a 422, as Kubernetes answers. */
function includeObjectOf(req: ApiRequest): 'None' | 'Object' | 'Metadata' {
  const include = req.query.get('includeObject') || 'Metadata';
  if (include !== 'None' && include !== 'Object' && include !== 'Metadata') {
    throw apiErrors.invalid({ group: 'meta.k8s.io', kind: 'TableOptions' }, '', [
      {
        reason: 'FieldValueInvalid',
        field: 'includeObject',
        message: `Invalid value: ${JSON.stringify(include)}: must be 'Metadata', 'Object', 'None', or empty`,
      },
    ]);
  }
  return include;
}

/** A GET may name a resourceVersion; one that is not a number is a 400, as Kubernetes answers. */
function checkGetResourceVersion(q: URLSearchParams): void {
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && !/^[0-9]+$/.test(rv)) {
    throw apiErrors.badRequest(
      `invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`,
    );
  }
}

function isWatch(q: URLSearchParams): boolean {
  return queryBool(q, 'watch') ?? false;
}

/**
 * The media type of a create, update or delete body, as Go's mime.ParseMediaType reads the
 * Content-Type (none is JSON); 415 when it is malformed or not one the server reads.
 */
function bodyMediaType(req: ApiRequest): string {
  const text = header(req, 'content-type').trim();
  if (text === '') return 'application/json';
  const type = parseMediaType(text)?.type;
  if (type === undefined || !SERVED_MEDIA_TYPES.includes(type)) {
    throw apiErrors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${SERVED_MEDIA_TYPES.join(', ')}`,
    );
  }
  return type;
}

/** The Content-Type up to its first ";", exactly as written: how Kubernetes reads a patch's type. */
function patchTypeText(req: ApiRequest): string {
  const text = header(req, 'content-type').trim();
  const semi = text.indexOf(';');
  return semi > 0 ? text.slice(0, semi) : text;
}

/** A patch's type, one of the four, with their spelling and case; 415 otherwise. */
function patchType(req: ApiRequest): string {
  const type = patchTypeText(req);
  if (!PATCH_TYPES.includes(type)) {
    throw apiErrors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
    );
  }
  return type;
}

/** kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first when it prints. */
export function wantsTable(req: ApiRequest): boolean {
  return header(req, 'accept')
    .split(',')
    .some((part) => {
      const params = part.split(';').map((s) => s.trim());
      return params.includes('as=Table') && !params.includes('g=apidiscovery.k8s.io');
    });
}

type WriteOptionsKind = Extract<OptionsKind, 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'>;

function isApply(req: ApiRequest): boolean {
  return patchTypeText(req) === APPLY_PATCH;
}

/**
 * The manager a write is recorded under: the fieldManager parameter, else the client's
 * User-Agent up to its first "/" (kubectl/v1.32.4 → kubectl).
 */
function fieldManagerOf(req: ApiRequest, kind: WriteOptionsKind): string {
  const given = req.query.get('fieldManager') ?? '';
  if (given !== '') {
    const problems = fieldManagerProblems(given);
    if (problems.length > 0) throw invalidOptions(kind, 'fieldManager', problems);
    return given;
  }
  return managerFromUserAgent(header(req, 'user-agent'));
}

function applyOptions(req: ApiRequest): ApplyOptions {
  if ((req.query.get('fieldManager') ?? '') === '') {
    throw invalidOptions('PatchOptions', 'fieldManager', [
      { reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' },
    ]);
  }
  const base = writeOptions(req, 'PatchOptions', true);
  return {
    ...base,
    fieldManager: base.fieldManager!,
    force: queryBool(req.query, 'force') ?? false,
  };
}

function writeOptions(req: ApiRequest, kind: WriteOptionsKind, apply = false): WriteOptions {
  if (!apply && kind === 'PatchOptions' && req.query.has('force')) {
    throw invalidOptions('PatchOptions', 'force', [
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: may not be specified for non-apply patch',
      },
    ]);
  }
  const fieldManager = fieldManagerOf(req, kind);
  const dryRun = dryRunOf(req.query.getAll('dryRun'), kind);
  // Empty means the server's default, Warn.
  const fv = req.query.get('fieldValidation') || 'Warn';
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw invalidOptions(kind, 'fieldValidation', [
      {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${fv}": supported values: "", "Ignore", "Strict", "Warn"`,
      },
    ]);
  }
  return { dryRun, fieldValidation: fv as FieldValidation, fieldManager, user: req.user };
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/**
 * DeleteOptions as Kubernetes takes them: from the body when there is one, else from the query,
 * never a mix; then validated (422 DeleteOptions).
 */
function deleteOptions(req: ApiRequest, body: unknown): DeleteOptions {
  let grace: unknown;
  let policy: unknown;
  let orphan: unknown;
  let dry: string[];
  let pre: Record<string, unknown> | undefined;
  if (body !== undefined) {
    if (!isPlainObject(body))
      throw apiErrors.badRequest('the body of a DELETE must be a DeleteOptions object');
    grace = body.gracePeriodSeconds ?? undefined;
    if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace))) {
      throw apiErrors.badRequest(
        `json: cannot unmarshal ${typeof grace} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`,
      );
    }
    policy = body.propagationPolicy ?? undefined;
    orphan = body.orphanDependents ?? undefined;
    dry = Array.isArray(body.dryRun) ? body.dryRun.map(String) : [];
    pre = isPlainObject(body.preconditions) ? body.preconditions : undefined;
  } else {
    const q = req.query;
    const g = q.get('gracePeriodSeconds');
    grace = g === null ? undefined : parseInt64(g);
    policy = q.get('propagationPolicy') ?? undefined;
    orphan = queryBool(q, 'orphanDependents');
    dry = q.getAll('dryRun');
  }
  if (orphan !== undefined && policy !== undefined) {
    throw invalidOptions('DeleteOptions', 'propagationPolicy', [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`,
      },
    ]);
  }
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy as string)) {
    throw invalidOptions('DeleteOptions', 'propagationPolicy', [
      {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
      },
    ]);
  }
  const dryRun = dryRunOf(dry, 'DeleteOptions');
  if (orphan === true) policy = 'Orphan';
  // Negative grace periods are taken as one second, as Kubernetes takes them.
  const gracePeriodSeconds =
    typeof grace === 'number' && grace < 0 ? 1 : (grace as number | undefined);
  return {
    gracePeriodSeconds,
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    preconditions: pre
      ? {
          uid: typeof pre.uid === 'string' ? pre.uid : undefined,
          resourceVersion:
            typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
        }
      : undefined,
    dryRun,
    user: req.user,
  };
}

function json(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return { kind: 'json', status, body, headers };
}

function outcome(o: Outcome): ApiResponse {
  const headers: Record<string, string> = {};
  if (o.warnings && o.warnings.length > 0) {
    headers.warning = o.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  }
  return json(o.status, o.body, headers);
}

/** Whether a request's answer has a protobuf form: objects of the covered kinds, and Status. */
function answersInProtobuf(r: ResourceInfo, p: ResourcePath): boolean {
  if (p.subresource === 'scale') return protobufAnswers('autoscaling/v1', 'Scale');
  if (p.subresource === 'binding' || p.subresource === 'eviction') return true;
  return protobufAnswers(apiVersionOf(r), r.kind);
}

/** A JSON answer re-encoded for a client that accepts only protobuf; 406 when it has no protobuf form. */
function protobufResponse(r: Extract<ApiResponse, { kind: 'json' }>): ApiResponse {
  const bytes = encodeProtobufResponse(r.body);
  if (!bytes) return protobufNotAcceptable();
  return {
    kind: 'bytes',
    status: r.status,
    contentType: PROTOBUF_MEDIA_TYPE,
    body: bytes,
    headers: r.headers,
  };
}

function protobufNotAcceptable(): ApiResponse {
  return {
    kind: 'bytes',
    status: 406,
    contentType: PROTOBUF_MEDIA_TYPE,
    body: notAcceptableStatus(),
  };
}

/** The 406 of a client that accepts none of the types the server writes (a JSON Status). */
function notAcceptable(): ApiResponse {
  const err = apiErrors.notAcceptable(
    `only the following media types are accepted: ${SERVED_MEDIA_TYPES.join(', ')}`,
  );
  return json(406, err.status);
}

/** A JSON answer in the negotiated form: protobuf, YAML, or JSON (indented when asked). */
function encodeAnswer(
  req: ApiRequest,
  response: Extract<ApiResponse, { kind: 'json' }>,
  choice: OutputChoice,
): ApiResponse {
  if (response.body === undefined) return response;
  switch (choice.format) {
    case 'protobuf':
      return protobufResponse(response);
    case 'yaml':
      return {
        kind: 'bytes',
        status: response.status,
        contentType: YAML_MEDIA_TYPE,
        body: Buffer.from(toYaml(response.body, { sortMapEntries: true })),
        headers: response.headers,
      };
    default:
      if (!wantsPretty(req.query, header(req, 'user-agent'), choice.pretty)) return response;
      return {
        kind: 'bytes',
        status: response.status,
        contentType: response.headers?.['content-type'] ?? 'application/json',
        body: Buffer.from(`${JSON.stringify(response.body, null, 2)}\n`),
        headers: response.headers,
      };
  }
}

function notFoundPath(): ApiResponse {
  const err = new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  return json(404, err.status);
}

function notAllowed(): ApiResponse {
  return json(
    405,
    new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    ).status,
  );
}

export function errorResponse(err: unknown, log?: ApiHandlerDeps['log']): ApiResponse {
  const mapped = mapStoreError(err);
  if (mapped instanceof ApiError) {
    if (mapped.code >= 500) log?.('request failed', { code: mapped.code, error: String(err) });
    return json(mapped.code, mapped.status);
  }
  log?.('request failed', { error: String(err) });
  return json(500, apiErrors.internal(String(err)).status);
}
