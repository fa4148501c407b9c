// The Priority admission plugin: a new pod's spec.priority (and preemptionPolicy) come from its
// priorityClassName, or from the global default class, or are 0; a second global default class
// is refused. The two system classes are created at bootstrap.
import {
  apiErrors,
  findResource,
  isPlainObject,
  JsonObject,
  KubeObject,
  ResourceInfo,
  SYSTEM_PRIORITY_CLASSES,
  systemPriorityClass,
} from '@flotilla/api';
import { objectKey, resourcePrefix } from '../storage/key-layout';
import type { ObjectStore } from '../storage/object-store';
import type { WatchCaches } from '../watch/watch-caches';

export const PRIORITY_CLASSES = findResource('scheduling.k8s.io', 'v1', 'priorityclasses')!;
const PODS = { group: '', plural: 'pods', kind: 'Pod' };

export const isPriorityClasses = (r: ResourceInfo): boolean =>
  r.group === PRIORITY_CLASSES.group && r.plural === PRIORITY_CLASSES.plural;
export const isPods = (r: ResourceInfo): boolean => r.group === '' && r.plural === 'pods';

/** Reads PriorityClasses from this master's watch cache once it is loaded, else from the store. */
export class PriorityClassReader {
  constructor(
    private readonly store: ObjectStore,
    private readonly caches: WatchCaches,
  ) {}

  /** Starts the watch cache (pods are admitted from it). */
  warm(): void {
    void this.caches
      .for(PRIORITY_CLASSES)
      .start()
      .catch(() => undefined);
  }

  async get(name: string): Promise<KubeObject | undefined> {
    const key = objectKey(PRIORITY_CLASSES, undefined, name);
    // A class created a moment ago may not be in the cache yet: a miss asks the store.
    return this.caches.for(PRIORITY_CLASSES).get(key) ?? (await this.store.get(key));
  }

  async list(): Promise<KubeObject[]> {
    const cache = this.caches.for(PRIORITY_CLASSES);
    if (cache.revision > 0)
      return cache.snapshot(resourcePrefix(PRIORITY_CLASSES), () => true).items;
    return (await this.store.list(resourcePrefix(PRIORITY_CLASSES))).items;
  }

  /** The global default class; with several (a race), the lowest value, as Kubernetes picks. */
  async globalDefault(): Promise<KubeObject | undefined> {
    let best: KubeObject | undefined;
    for (const pc of await this.list()) {
      if (pc.globalDefault !== true) continue;
      if (!best || Number(pc.value) < Number(best.value)) best = pc;
    }
    return best;
  }
}

/** Sets spec.priority and spec.preemptionPolicy of a pod being created (in place). */
export async function admitPodPriority(
  pod: KubeObject,
  classes: PriorityClassReader,
): Promise<void> {
  const spec = (isPlainObject(pod.spec) ? pod.spec : (pod.spec = {})) as JsonObject;
  const name = pod.metadata.name ?? '';
  let priority = 0;
  let policy: unknown;
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (className === '') {
    const def = await classes.globalDefault();
    if (def) {
      spec.priorityClassName = def.metadata.name;
      priority = Number(def.value);
      policy = def.preemptionPolicy;
    }
  } else {
    const pc = await classes.get(className);
    if (!pc)
      throw apiErrors.forbidden(PODS, name, `no PriorityClass with name ${className} was found`);
    priority = Number(pc.value);
    policy = pc.preemptionPolicy;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw apiErrors.forbidden(
      PODS,
      name,
      `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  if (typeof policy === 'string') {
    if (
      spec.preemptionPolicy !== undefined &&
      spec.preemptionPolicy !== null &&
      spec.preemptionPolicy !== policy
    ) {
      throw apiErrors.forbidden(
        PODS,
        name,
        `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = policy;
  }
}

/** Refuses a second global default class (on create, or when an update makes one default). */
export async function admitPriorityClass(
  pc: KubeObject,
  previous: KubeObject | undefined,
  classes: PriorityClassReader,
): Promise<void> {
  if (pc.globalDefault !== true || previous?.globalDefault === true) return;
  const def = await classes.globalDefault();
  if (def && def.metadata.name !== pc.metadata.name) {
    throw apiErrors.forbidden(
      PRIORITY_CLASSES,
      pc.metadata.name ?? '',
      `PriorityClass ${def.metadata.name} is already marked as default. Only one default can exist`,
    );
  }
}

/** Creates system-node-critical and system-cluster-critical if missing; returns those created. */
export async function ensureSystemPriorityClasses(
  store: ObjectStore,
  now: () => Date,
  newUid: () => string,
): Promise<string[]> {
  const created: string[] = [];
  for (const { name } of SYSTEM_PRIORITY_CLASSES) {
    const key = objectKey(PRIORITY_CLASSES, undefined, name);
    if (await store.get(key, { serializable: true })) continue;
    const obj = systemPriorityClass(name)!;
    obj.metadata = {
      name,
      uid: newUid(),
      creationTimestamp: now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    };
    const res = await store.create(key, obj);
    if (res.ok) created.push(name);
  }
  return created;
}
