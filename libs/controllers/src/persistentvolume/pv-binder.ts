// The PersistentVolume binder (kube's persistentvolume-binder, without dynamic provisioning):
// binds each Pending claim to the smallest Available volume that satisfies it (storage class,
// access modes, volume mode, size, selector), the volume first (claimRef, under a
// resourceVersion precondition, so two claims cannot take one volume), then the claim; marks new
// volumes Available, and a bound volume whose claim is gone Released (Retain) or deletes it
// (Delete).
import {
  isApiError,
  labelSelectorFromObject,
  matchesLabels,
  parseQuantity,
  type KubeObject,
} from '@flotilla/api';
import { objectKey, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { PVCS, PVS } from '../common/resources';

type Claim = KubeObject & {
  spec?: {
    accessModes?: string[];
    resources?: { requests?: Record<string, string> };
    storageClassName?: string;
    volumeName?: string;
    volumeMode?: string;
    selector?: Parameters<typeof labelSelectorFromObject>[0];
  };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string> };
};
type Volume = KubeObject & {
  spec?: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    storageClassName?: string;
    volumeMode?: string;
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string; uid?: string };
  };
  status?: { phase?: string };
};

export const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';

/** Whether a volume can serve a claim. */
export function volumeFits(pv: Volume, pvc: Claim): boolean {
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage) ?? 0;
  const have = parseQuantity(pv.spec?.capacity?.storage) ?? 0;
  if (have < want) return false;
  if ((pv.spec?.storageClassName ?? '') !== (pvc.spec?.storageClassName ?? '')) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem'))
    return false;
  const modes = pv.spec?.accessModes ?? [];
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return false;
  if (pvc.spec?.selector) {
    try {
      if (!matchesLabels(labelSelectorFromObject(pvc.spec.selector), pv.metadata.labels))
        return false;
    } catch {
      return false;
    }
  }
  return true;
}

export class PersistentVolumeBinder implements Controller {
  readonly name = 'persistentvolume-binder';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private claims!: SharedInformer<Claim>;
  private volumes!: SharedInformer<Volume>;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'persistentvolume-binder');
    this.claims = ctx.informers.informerFor<Claim>(PVCS);
    this.volumes = ctx.informers.informerFor<Volume>(PVS);
    const claimKey = (c: Claim) => `claim:${objectKey(c)}`;
    const volumeKey = (v: Volume) => `volume:${v.metadata.name}`;
    const allPending = () => {
      for (const c of this.claims.lister.list())
        if (!c.spec?.volumeName) this.queue.add(claimKey(c));
    };
    const handlers = [
      this.claims.addEventHandler({
        onAdd: (c) => this.queue.add(claimKey(c)),
        onUpdate: (_o, c) => this.queue.add(claimKey(c)),
        onDelete: () => {
          for (const v of this.volumes.lister.list())
            if (v.spec?.claimRef) this.queue.add(volumeKey(v));
        },
      }),
      this.volumes.addEventHandler({
        onAdd: (v) => {
          this.queue.add(volumeKey(v));
          allPending();
        },
        onUpdate: (_o, v) => {
          this.queue.add(volumeKey(v));
          if (v.status?.phase === 'Available') allPending();
        },
      }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.claims, this.volumes] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: 1,
      sync: (key) =>
        key.startsWith('claim:') ? this.syncClaim(key.slice(6)) : this.syncVolume(key.slice(7)),
    });
  }

  private pvs() {
    return this.ctx.client.forKind<Volume>('v1', 'PersistentVolume');
  }

  private async setVolumePhase(pv: Volume, phase: string): Promise<void> {
    if (pv.status?.phase === phase) return;
    await this.pvs().updateStatus({
      ...pv,
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      status: { ...(pv.status ?? {}), phase },
    });
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.lister.get(name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) return this.setVolumePhase(pv, 'Available');
    const claim = this.claims.lister.get(ref.name ?? '', ref.namespace);
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      if (claim.spec?.volumeName === pv.metadata.name) await this.setVolumePhase(pv, 'Bound');
      return;
    }
    // The claim is gone (confirmed against the server: the cache may lag).
    const fresh = await this.ctx.client
      .forKind<Claim>('v1', 'PersistentVolumeClaim', ref.namespace)
      .get(ref.name ?? '')
      .catch((err: unknown) =>
        isApiError(err) && err.code === 404 ? undefined : Promise.reject(err),
      );
    if (fresh && (!ref.uid || fresh.metadata.uid === ref.uid)) return;
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      await this.pvs()
        .delete(name, { preconditions: { uid: pv.metadata.uid } })
        .catch(() => undefined);
      return;
    }
    await this.setVolumePhase(pv, 'Released');
  }

  private async syncClaim(key: string): Promise<void> {
    const pvc = this.claims.lister.getByKey(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const claims = this.ctx.client.forKind<Claim>(
      'v1',
      'PersistentVolumeClaim',
      pvc.metadata.namespace,
    );
    let volumeName = pvc.spec?.volumeName;
    if (!volumeName) {
      const candidates = this.volumes.lister
        .list()
        .filter(
          (v) =>
            !v.spec?.claimRef &&
            v.status?.phase === 'Available' &&
            !v.metadata.deletionTimestamp &&
            volumeFits(v, pvc),
        )
        .sort(
          (a, b) =>
            (parseQuantity(a.spec?.capacity?.storage) ?? 0) -
            (parseQuantity(b.spec?.capacity?.storage) ?? 0),
        );
      const pv = candidates[0];
      if (!pv) return;
      // The volume first: its resourceVersion makes sure no other claim took it meanwhile.
      const claimRef = {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: pvc.metadata.namespace,
        name: pvc.metadata.name,
        uid: pvc.metadata.uid,
        resourceVersion: pvc.metadata.resourceVersion,
      };
      const bound = await this.pvs().update({
        ...pv,
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        spec: { ...pv.spec, claimRef },
      });
      await this.setVolumePhase(bound, 'Bound');
      volumeName = pv.metadata.name!;
      const updated = await claims.update({
        ...pvc,
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          ...pvc.metadata,
          annotations: { ...(pvc.metadata.annotations ?? {}), [BIND_COMPLETED]: 'yes' },
        },
        spec: { ...pvc.spec, volumeName },
      });
      pvc.metadata.resourceVersion = updated.metadata.resourceVersion;
    }
    const pv =
      this.volumes.lister.get(volumeName) ??
      (await this.pvs()
        .get(volumeName)
        .catch(() => undefined));
    if (!pv || pvc.status?.phase === 'Bound') return;
    await claims.updateStatus({
      ...pvc,
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      status: {
        phase: 'Bound',
        accessModes: pv.spec?.accessModes ?? [],
        capacity: pv.spec?.capacity ?? {},
      },
    });
  }
}

export const persistentVolumeBinderFactory: ControllerFactory = {
  name: 'persistentvolume-binder',
  enabledByDefault: true,
  create: () => new PersistentVolumeBinder(),
};
