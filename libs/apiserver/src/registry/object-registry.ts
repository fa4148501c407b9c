import {
  apiErrors,
  ApiError,
  applyConfiguration,
  applyPatch,
  apiVersionOf,
  checkAppliedConfig,
  FieldManagerContext,
  FieldSubresource,
  isPlainObject,
  JsonObject,
  jsonEqual,
  findResource,
  KubeObject,
  podQosClass,
  prepareForCreate,
  prepareForUpdate,
  recordUpdate,
  ResourceInfo,
  statusSuccess,
  unknownFields,
  validateCreate,
  validateUpdate,
} from '@flotilla/api';
import { CompareResult, CompareTarget, RequestOp } from '@flotilla/store';
import {
  admitPodUpdate,
  DEFAULT_TOLERATIONS,
  type DefaultTolerationSeconds,
} from '../admission/default-toleration-seconds';
import { admitIntoNamespace, UNDELETABLE_NAMESPACES } from '../admission/namespace-lifecycle';
import {
  admitPodPriority,
  admitPriorityClass,
  isPods,
  isPriorityClasses,
  PriorityClassReader,
} from '../admission/priority';
import type { AdmissionAttributes } from '../admission/node-restriction';
import { alreadyAllocated, heldKeys, planAddresses } from '../admission/service-addresses';
import type { UserInfo } from '../auth/user-info';
import type { ServiceRanges } from '../admission/service-ranges';
import { listPrefix, objectKey } from '../storage/key-layout';
import { decideEviction, pdbResource, spendDisruption } from './eviction';
import { admitLimitRanges, admitQuota, usageOf } from '../admission/quota';

const RESOURCE_QUOTAS = findResource('', 'v1', 'resourcequotas');
const LIMIT_RANGES = findResource('', 'v1', 'limitranges');
import { NO_EXTRA, ObjectStore, TxnExtra, WriteResult } from '../storage/object-store';
import type { WatchCaches } from '../watch/watch-caches';
import { decideDelete, DeleteOptions, finishesDeletion } from './delete-decision';
import { generateName, objectFromBody, parseResourceVersion, timestamp } from './request-checks';
import { replicasOf, toScale, withReplicas } from './scale';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /** Who makes the change, for metadata.managedFields; the API server itself when absent. */
  fieldManager?: string;
  /** Who asked, for admission that depends on it (NodeRestriction); absent: the server itself. */
  user?: UserInfo;
}

export interface ApplyOptions extends WriteOptions {
  fieldManager: string;
  /** Take over fields other managers own instead of failing with 409. */
  force: boolean;
}

/** The manager of writes the API server makes on its own (the kubernetes Service, ...). */
export const SERVER_FIELD_MANAGER = 'kube-apiserver';

/** Turns the object about to be stored into the one with its managedFields. */
type Finish = (current: KubeObject | undefined, next: KubeObject) => KubeObject;
const asIs: Finish = (_current, next) => next;

export interface Outcome {
  status: number;
  body: Record<string, unknown>;
  warnings?: string[];
}

export interface RegistryDeps {
  store: ObjectStore;
  caches: WatchCaches;
  clock: () => Date;
  newUid: () => string;
  /** An integer in [0, n). */
  random: (n: number) => number;
  /** Where ClusterIPs and NodePorts are drawn from. */
  serviceRanges: ServiceRanges;
  /** The DefaultTolerationSeconds admission's settings (300 s each when absent). */
  tolerationSeconds?: DefaultTolerationSeconds;
  /** Admission that depends on who asks (NodeRestriction); throws the 403. */
  admit?: (a: AdmissionAttributes) => void;
}

/** Optimistic-concurrency retries of one request before giving up with 409. */
const MAX_RETRIES = 16;
const NAMESPACES = { group: '', plural: 'namespaces', namespaced: false };

const isServices = (r: ResourceInfo) => r.group === '' && r.plural === 'services';

/**
 * The write paths of the API: strategy (defaults, validation), admission that needs storage
 * (namespace lifecycle, Service addresses), optimistic concurrency on mod revisions, graceful
 * deletion. One instance serves every resource.
 */
export class ObjectRegistry {
  readonly priorityClasses: PriorityClassReader;

  constructor(private readonly d: RegistryDeps) {
    this.priorityClasses = new PriorityClassReader(d.store, d.caches);
  }

  private key(r: ResourceInfo, namespace: string | undefined, name: string): string {
    return objectKey(r, namespace, name);
  }

  async get(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = await this.d.store.for(r).get(this.key(r, namespace, name));
    if (!obj) throw apiErrors.notFound(r, name);
    return obj;
  }

  // --- create ------------------------------------------------------------------------------

  async create(
    r: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions,
  ): Promise<Outcome> {
    return this.insert(r, namespace, body, opts, (current, next) =>
      recordUpdate(this.fields(r, opts), current, next),
    );
  }

  /** The create path every new object takes: defaults, validation, admission, then the write. */
  private async insert(
    r: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions,
    finish: Finish,
  ): Promise<Outcome> {
    let obj = objectFromBody(r, body, { namespace });
    const warnings = this.checkFields(r, obj, opts.fieldValidation);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = generateName(obj.metadata.generateName, this.d.random);
    }
    if (r.namespaced && !obj.metadata.namespace) {
      throw apiErrors.badRequest('the server could not find the requested resource');
    }
    if (isPods(r)) await admitPodPriority(obj, this.priorityClasses);
    obj = prepareForCreate(r, obj, {
      namespace: obj.metadata.namespace,
      now: this.d.clock(),
      newUid: this.d.newUid,
      tolerationSeconds: this.d.tolerationSeconds,
    });
    if (isPods(r) && this.mayHave(LIMIT_RANGES, obj.metadata.namespace!)) {
      const ranges = await this.inNamespace(LIMIT_RANGES, obj.metadata.namespace!);
      if (ranges.length > 0) {
        admitLimitRanges(r, obj, ranges);
        obj.status = { ...(obj.status as object), qosClass: podQosClass(obj.spec as JsonObject) };
      }
    }
    validateCreate(r, obj);
    this.admitAs(opts.user, {
      operation: 'CREATE',
      resource: r,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name ?? '',
      object: obj,
    });
    if (isPriorityClasses(r)) await admitPriorityClass(obj, undefined, this.priorityClasses);
    obj = finish(undefined, obj);
    const name = obj.metadata.name!;
    if (r.namespaced) {
      admitIntoNamespace(
        r,
        name,
        obj.metadata.namespace!,
        await this.namespace(obj.metadata.namespace!),
      );
    }
    if (r.namespaced) await this.chargeQuota(r, obj, opts.dryRun);
    if (opts.dryRun) {
      const plan = isServices(r)
        ? planAddresses(r, obj, undefined, this.d.serviceRanges, this.d.random)
        : undefined;
      return { status: 201, body: plan?.service ?? obj, warnings };
    }
    const key = this.key(r, obj.metadata.namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      let toWrite = obj;
      let extra = NO_EXTRA;
      let plan: ReturnType<typeof planAddresses> | undefined;
      if (isServices(r)) {
        plan = planAddresses(r, obj, undefined, this.d.serviceRanges, this.d.random);
        toWrite = plan.service;
        extra = allocationTxn(plan.claim, [], `${obj.metadata.namespace}/${name}`);
      }
      const res = await this.d.store.for(r).create(key, toWrite, extra);
      if (res.ok) return { status: 201, body: res.object, warnings };
      if (res.present.has(key)) throw apiErrors.alreadyExists(r, name);
      this.explicitTaken(r, name, plan, res);
      // A randomly drawn address was taken meanwhile: draw again.
    }
    throw apiErrors.internal('could not allocate Service addresses after several attempts');
  }

  // --- update ------------------------------------------------------------------------------

  /** PUT of the main resource, its status, or a namespace's finalize subresource. */
  async update(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions,
    subresource?: 'status' | 'finalize',
  ): Promise<Outcome> {
    const obj = objectFromBody(r, body, { namespace, name });
    const warnings = this.checkFields(r, obj, opts.fieldValidation);
    const rvText = obj.metadata.resourceVersion;
    const precondition = rvText ? parseResourceVersion(rvText) : undefined;
    const written = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      opts,
      precondition,
      () => obj,
      subresource,
      this.tracking(r, opts, subresource === 'finalize' ? undefined : subresource),
    );
    return { ...written, warnings };
  }

  async patch(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    opts: WriteOptions,
    subresource?: 'status',
  ): Promise<Outcome> {
    let warnings: string[] = [];
    const first = { done: false };
    const written = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      opts,
      undefined,
      (current) => {
        const patched = applyPatch(contentType, current, patch, r);
        const obj = objectFromBody(r, patched, { namespace, name });
        if (!first.done) {
          first.done = true;
          warnings = this.checkFields(r, obj, opts.fieldValidation);
        }
        // A resourceVersion set by the patch is a precondition, as in Kubernetes.
        const rv = obj.metadata.resourceVersion;
        if (rv && rv !== current.metadata.resourceVersion) throw apiErrors.conflict(r, name);
        return obj;
      },
      subresource,
      this.tracking(r, opts, subresource),
    );
    return { ...written, warnings };
  }

  /**
   * Server-side apply (PATCH application/apply-patch+yaml): merges the configuration into the
   * object, or creates it from the configuration when it does not exist; the managedFields say
   * who owns what. The usual create or update path (defaults, validation, admission) follows.
   */
  async apply(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    config: JsonObject,
    opts: ApplyOptions,
    subresource?: 'status',
  ): Promise<Outcome> {
    checkAppliedConfig(r, config, { namespace, name }, false);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      try {
        return await this.applyToStored(r, namespace, name, config, opts, subresource);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404 && err.reason === 'NotFound')) throw err;
        if (subresource) throw err;
      }
      checkAppliedConfig(r, config, { namespace, name }, true);
      const ctx = this.fields(r, opts);
      const { object } = applyConfiguration(ctx, undefined, { config, force: opts.force });
      try {
        return await this.insert(r, namespace, object, opts, asIs);
      } catch (err) {
        // Created meanwhile by someone else: apply to it.
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
    throw apiErrors.conflict(r, name, 'too many concurrent updates; please retry');
  }

  private async applyToStored(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    config: JsonObject,
    opts: ApplyOptions,
    subresource?: FieldSubresource,
  ): Promise<Outcome> {
    const ctx = this.fields(r, opts, subresource);
    // Unknown fields are those of the configuration, not of what is stored already.
    const warnings =
      subresource === 'scale'
        ? []
        : this.checkFields(r, config as KubeObject, opts.fieldValidation);
    let managed: unknown;
    // A resourceVersion in the configuration is a precondition, as in Kubernetes.
    const rv = isPlainObject(config.metadata) ? config.metadata.resourceVersion : undefined;
    const precondition = typeof rv === 'string' && rv !== '' ? parseResourceVersion(rv) : undefined;
    const written = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      opts,
      precondition,
      (current) => {
        const { object } = applyConfiguration(ctx, current, { config, force: opts.force });
        managed = object.metadata.managedFields;
        return object;
      },
      subresource,
      (_current, next) => withManagedFields(next, managed),
      true,
    );
    return { ...written, warnings };
  }

  /**
   * Reads the current object, computes the next one, writes it if nothing changed in between;
   * retries on a race unless the client gave a resourceVersion (then 409).
   */
  private async guaranteedUpdate(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: WriteOptions,
    precondition: number | undefined,
    compute: (current: KubeObject) => KubeObject,
    subresource: 'status' | 'scale' | 'binding' | 'finalize' | undefined,
    finish: Finish,
    skipNoop = false,
  ): Promise<Outcome> {
    const key = this.key(r, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.readCurrent(r, key, attempt);
      if (!current) throw apiErrors.notFound(r, name);
      const modRevision = Number(current.metadata.resourceVersion);
      if (precondition !== undefined && precondition !== modRevision) {
        if (attempt === 0) continue; // the local read may lag: check against the latest
        throw apiErrors.conflict(r, name);
      }
      let next = compute(current);
      // A binding only sets spec.nodeName and a condition, which no strategy path allows.
      if (subresource !== 'binding') {
        next = prepareForUpdate(r, next, current, subresource);
        admitPodUpdate(r, next, subresource, this.d.tolerationSeconds ?? DEFAULT_TOLERATIONS);
        validateUpdate(r, next, current);
        this.admitAs(opts.user, {
          operation: 'UPDATE',
          resource: r,
          subresource,
          namespace,
          name,
          object: next,
          oldObject: current,
        });
        if (isPriorityClasses(r)) await admitPriorityClass(next, current, this.priorityClasses);
      }
      next = finish(current, next);
      if (skipNoop && jsonEqual(next, current)) {
        // Nothing changes: no write (confirmed against the latest state first).
        if (attempt === 0) continue;
        return { status: 200, body: current };
      }
      let extra: TxnExtra = NO_EXTRA;
      let plan: ReturnType<typeof planAddresses> | undefined;
      if (isServices(r) && subresource === undefined) {
        plan = planAddresses(r, next, current, this.d.serviceRanges, this.d.random);
        next = plan.service;
        extra = allocationTxn(plan.claim, plan.release, `${namespace}/${name}`);
      }
      if (opts.dryRun) return { status: 200, body: next };
      let res: WriteResult;
      if (finishesDeletion(r, next)) {
        res = await this.d.store
          .for(r)
          .delete(key, current, modRevision, this.releaseTxn(r, current));
        if (res.ok) return { status: 200, body: current };
      } else {
        res = await this.d.store.for(r).update(key, next, modRevision, extra);
        if (res.ok) return { status: 200, body: res.object };
      }
      if (!res.present.has(key)) throw apiErrors.notFound(r, name);
      this.explicitTaken(r, name, plan, res);
      if (precondition !== undefined && attempt > 0) throw apiErrors.conflict(r, name);
    }
    throw apiErrors.conflict(r, name, 'too many concurrent updates; please retry');
  }

  // --- scale and binding --------------------------------------------------------------------

  async getScale(r: ResourceInfo, namespace: string | undefined, name: string): Promise<Outcome> {
    return { status: 200, body: toScale(r, await this.get(r, namespace, name)) };
  }

  async updateScale(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    scale: (current: KubeObject) => KubeObject,
    opts: WriteOptions,
  ): Promise<Outcome> {
    const out = await this.guaranteedUpdate(
      r,
      namespace,
      name,
      opts,
      undefined,
      (current) => {
        const wanted = scale(toScale(r, current));
        const rv = wanted.metadata?.resourceVersion;
        if (rv && rv !== current.metadata.resourceVersion) throw apiErrors.conflict(r, name);
        return withReplicas(r, current, replicasOf(wanted));
      },
      'scale',
      this.tracking(r, opts, 'scale'),
    );
    return { status: 200, body: toScale(r, out.body as KubeObject) };
  }

  /** Server-side apply of an autoscaling/v1 Scale: owns spec.replicas through the scale subresource. */
  async applyScale(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    config: JsonObject,
    opts: ApplyOptions,
  ): Promise<Outcome> {
    const scaleKind = { apiVersion: 'autoscaling/v1', kind: 'Scale' };
    checkAppliedConfig(r, config, { namespace, name }, false, scaleKind);
    const spec = isPlainObject(config.spec) ? config.spec : {};
    const parent: JsonObject = { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name } };
    if (spec.replicas !== undefined) {
      replicasOf({ ...config, metadata: { name } } as KubeObject);
      let at = parent;
      const path = r.scale!.specReplicasPath.slice(1).split('.');
      for (const part of path.slice(0, -1)) at = (at[part] = {}) as JsonObject;
      at[path[path.length - 1]] = spec.replicas;
    }
    const out = await this.applyToStored(r, namespace, name, parent, opts, 'scale');
    return { status: 200, body: toScale(r, out.body as KubeObject) };
  }

  /** POST pods/<name>/binding: assigns the pod to a node, once. */
  async bind(namespace: string, name: string, body: unknown, r: ResourceInfo): Promise<Outcome> {
    if (
      !isPlainObject(body) ||
      !isPlainObject(body.target) ||
      typeof body.target.name !== 'string' ||
      body.target.name === ''
    ) {
      throw apiErrors.invalid({ group: '', kind: 'Binding' }, name, [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' },
      ]);
    }
    const node = body.target.name;
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) {
      throw apiErrors.badRequest(
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
    }
    const bindingRef = { group: '', plural: 'pods/binding' };
    await this.guaranteedUpdate(
      r,
      namespace,
      name,
      { dryRun: false, fieldValidation: 'Ignore' },
      undefined,
      (current) => {
        const spec = isPlainObject(current.spec) ? current.spec : {};
        // The scheduler names the pod's uid: a pod deleted and made again under the same name
        // is another pod, and a binding decided for the old one must not land on it.
        if (typeof meta.uid === 'string' && meta.uid !== '' && meta.uid !== current.metadata.uid) {
          throw apiErrors.conflict(
            bindingRef,
            name,
            `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
          );
        }
        if (spec.nodeName) {
          throw apiErrors.conflict(
            bindingRef,
            name,
            `pod ${name} is already assigned to node "${String(spec.nodeName)}"`,
          );
        }
        if (current.metadata.deletionTimestamp) {
          throw apiErrors.conflict(
            bindingRef,
            name,
            `pod ${name} is being deleted, cannot be assigned to a host`,
          );
        }
        const status = isPlainObject(current.status) ? current.status : {};
        const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
          (c) => !(isPlainObject(c) && c.type === 'PodScheduled'),
        );
        conditions.push({
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: timestamp(this.d.clock()),
        });
        return { ...current, spec: { ...spec, nodeName: node }, status: { ...status, conditions } };
      },
      'binding',
      asIs,
    );
    return { status: 201, body: statusSuccess() };
  }

  // --- quota -------------------------------------------------------------------------------

  private async inNamespace(r: ResourceInfo | undefined, namespace: string): Promise<KubeObject[]> {
    if (!r) return [];
    return (await this.d.store.list(listPrefix(r, namespace))).items;
  }

  /**
   * Whether the namespace may have objects of `r` (quotas, limit ranges): asked of this master's
   * watch cache once loaded, so the common case (none) costs no read of the store.
   */
  private mayHave(r: ResourceInfo | undefined, namespace: string): boolean {
    if (!r) return false;
    const cache = this.d.caches.for(r);
    if (cache.revision === 0) {
      void cache.start().catch(() => undefined);
      return true;
    }
    return cache.snapshot(listPrefix(r, namespace), () => true).items.length > 0;
  }

  /** ResourceQuota admission: refuses what exceeds a quota, else records the new usage first. */
  private async chargeQuota(r: ResourceInfo, obj: KubeObject, dryRun: boolean): Promise<void> {
    const namespace = obj.metadata.namespace!;
    if (!this.mayHave(RESOURCE_QUOTAS, namespace)) return;
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const quotas = await this.inNamespace(RESOURCE_QUOTAS, namespace);
      if (quotas.length === 0) return;
      let stored: KubeObject[] | undefined;
      const usedNow = async (resource: string) => {
        stored ??= await this.inNamespace(r, namespace);
        return stored.reduce((sum, o) => sum + (usageOf(r, o)[resource] ?? 0), 0);
      };
      const { updates } = await admitQuota(r, obj, quotas, usedNow);
      if (dryRun) return;
      let raced = false;
      for (const { quota, used } of updates) {
        const next = { ...quota, status: { ...(quota.status as object), used } };
        const key = this.key(RESOURCE_QUOTAS!, namespace, quota.metadata.name!);
        const res = await this.d.store.update(key, next, Number(quota.metadata.resourceVersion));
        if (!res.ok) {
          raced = true;
          break;
        }
      }
      if (!raced) return;
    }
    throw apiErrors.conflict(
      r,
      obj.metadata.name ?? '',
      'too many concurrent quota updates; please retry',
    );
  }

  // --- eviction ----------------------------------------------------------------------------

  /** POST pods/<name>/eviction: deletes the pod if its PodDisruptionBudget allows it now. */
  async evict(
    r: ResourceInfo,
    namespace: string,
    name: string,
    body: unknown,
    options: DeleteOptions,
  ): Promise<Outcome> {
    const evictionRef = { group: 'policy', kind: 'Eviction' };
    if (!isPlainObject(body)) throw apiErrors.badRequest('the body must be a policy/v1 Eviction');
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) {
      throw apiErrors.invalid(evictionRef, String(meta.name), [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(meta.name)}: name in URL does not match name in Eviction object`,
          field: 'metadata.name',
        },
      ]);
    }
    const pdbs = pdbResource();
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const pod = await this.get(r, namespace, name);
      this.admitAs(options.user, {
        operation: 'CREATE',
        resource: r,
        subresource: 'eviction',
        namespace,
        name,
        oldObject: pod,
      });
      const budgets = (await this.d.store.list(listPrefix(pdbs, namespace))).items;
      const decision = decideEviction(pod, budgets);
      if (decision.kind === 'refuse') throw decision.error;
      if (decision.kind === 'spend' && !options.dryRun) {
        const spent = spendDisruption(decision.budget, name, timestamp(this.d.clock()));
        const key = this.key(pdbs, namespace, decision.budget.metadata.name!);
        const res = await this.d.store.update(
          key,
          spent,
          Number(decision.budget.metadata.resourceVersion),
        );
        if (!res.ok) continue; // the budget changed meanwhile: decide again
      }
      await this.delete(r, namespace, name, options);
      return { status: 201, body: statusSuccess() };
    }
    throw apiErrors.conflict(r, name, 'too many concurrent evictions; please retry');
  }

  // --- delete ------------------------------------------------------------------------------

  async delete(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions,
  ): Promise<Outcome> {
    if (r.group === '' && r.plural === 'namespaces' && UNDELETABLE_NAMESPACES.has(name)) {
      throw apiErrors.forbidden(r, name, 'this namespace may not be deleted');
    }
    const key = this.key(r, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.readCurrent(r, key, attempt);
      if (!current) throw apiErrors.notFound(r, name);
      const pre = opts.preconditions;
      const mismatch =
        (pre?.uid !== undefined && pre.uid !== current.metadata.uid) ||
        (pre?.resourceVersion !== undefined &&
          pre.resourceVersion !== current.metadata.resourceVersion);
      if (mismatch && attempt === 0) continue; // the local read may lag: check against the latest
      if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
        throw apiErrors.conflict(
          r,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
        );
      }
      if (
        pre?.resourceVersion !== undefined &&
        pre.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw apiErrors.conflict(
          r,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
        );
      }
      this.admitAs(opts.user, {
        operation: 'DELETE',
        resource: r,
        namespace,
        name,
        oldObject: current,
      });
      const decision = decideDelete(r, current, opts, this.d.clock());
      if (decision.kind === 'unchanged') return { status: 200, body: current };
      if (opts.dryRun)
        return { status: 200, body: decision.kind === 'mark' ? decision.object : current };
      const modRevision = Number(current.metadata.resourceVersion);
      const res =
        decision.kind === 'mark'
          ? await this.d.store.for(r).update(key, decision.object, modRevision)
          : await this.d.store
              .for(r)
              .delete(key, current, modRevision, this.releaseTxn(r, current));
      if (res.ok) return { status: 200, body: decision.kind === 'mark' ? res.object : current };
      if (!res.present.has(key)) throw apiErrors.notFound(r, name);
    }
    throw apiErrors.conflict(r, name, 'too many concurrent updates; please retry');
  }

  async deleteCollection(
    r: ResourceInfo,
    items: KubeObject[],
    opts: DeleteOptions,
  ): Promise<Outcome> {
    for (const item of items) {
      try {
        await this.delete(r, item.metadata.namespace, item.metadata.name!, {
          ...opts,
          preconditions: undefined,
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { status: 200, body: statusSuccess() };
  }

  // --- helpers -----------------------------------------------------------------------------

  /** Admission by who asks; writes the server makes on its own (no user) pass. */
  private admitAs(user: UserInfo | undefined, a: Omit<AdmissionAttributes, 'user'>): void {
    if (user && this.d.admit) this.d.admit({ ...a, user });
  }

  /**
   * The object a write starts from. The first attempt reads this master's applied state (no
   * ReadIndex round trip): the write's compare on the mod revision rejects a stale read, and the
   * retry reads linearizably. A miss is confirmed linearizably before it becomes a 404.
   */
  private async readCurrent(
    r: ResourceInfo,
    key: string,
    attempt: number,
  ): Promise<KubeObject | undefined> {
    const store = this.d.store.for(r);
    if (attempt === 0) {
      const local = await store.get(key, { serializable: true });
      if (local) return local;
    }
    return store.get(key);
  }

  /** The namespace from this master's cache, else from the store (it may be brand new). */
  private async namespace(name: string): Promise<KubeObject | undefined> {
    const key = objectKey(NAMESPACES, undefined, name);
    return this.d.caches.for(NAMESPACES).get(key) ?? (await this.d.store.get(key));
  }

  private fields(
    r: ResourceInfo,
    opts: WriteOptions,
    subresource?: FieldSubresource,
  ): FieldManagerContext {
    return {
      r,
      manager: opts.fieldManager ?? SERVER_FIELD_MANAGER,
      subresource,
      now: this.d.clock(),
    };
  }

  /** Records an Update entry for the request's manager (binding records nothing). */
  private tracking(
    r: ResourceInfo,
    opts: WriteOptions,
    subresource: 'status' | 'scale' | undefined,
  ): Finish {
    return (current, next) => recordUpdate(this.fields(r, opts, subresource), current, next);
  }

  private checkFields(r: ResourceInfo, obj: KubeObject, mode: FieldValidation): string[] {
    if (mode === 'Ignore') return [];
    const unknown = unknownFields(r, obj);
    if (unknown.length === 0) return [];
    if (mode === 'Strict') {
      const list = unknown.map((f: string) => `unknown field "${f}"`);
      throw apiErrors.badRequest(`strict decoding error: ${list.join(', ')}`);
    }
    return unknown.map((f: string) => `unknown field "${f}"`);
  }

  private releaseTxn(r: ResourceInfo, current: KubeObject): TxnExtra {
    return isServices(r) ? allocationTxn([], heldKeys(current), '') : NO_EXTRA;
  }

  /** 422 when an address the user asked for by value is taken; else the caller retries. */
  private explicitTaken(
    r: ResourceInfo,
    name: string,
    plan: ReturnType<typeof planAddresses> | undefined,
    res: WriteResult,
  ): void {
    if (res.ok || !plan) return;
    for (const [k, taken] of plan.explicit) {
      if (res.present.has(k)) throw alreadyAllocated(r, name, taken);
    }
  }
}

function withManagedFields(obj: KubeObject, managed: unknown): KubeObject {
  const metadata = { ...obj.metadata };
  if (Array.isArray(managed) && managed.length > 0) metadata.managedFields = managed;
  else delete metadata.managedFields;
  return { ...obj, metadata };
}

/** Compares and writes that claim and free allocation keys atomically with the object. */
function allocationTxn(claim: string[], release: string[], owner: string): TxnExtra {
  if (claim.length === 0 && release.length === 0) return NO_EXTRA;
  const ops: RequestOp[] = [
    ...claim.map((k) => ({ requestPut: { key: Buffer.from(k), value: Buffer.from(owner) } })),
    ...release.map((k) => ({ requestDeleteRange: { key: Buffer.from(k) } })),
  ];
  return {
    compares: claim.map((k) => ({
      result: CompareResult.EQUAL,
      target: CompareTarget.CREATE,
      key: Buffer.from(k),
      createRevision: 0,
    })),
    ops,
    probeKeys: claim,
  };
}
