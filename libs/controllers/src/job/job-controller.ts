// The Job controller (kube's pkg/controller/job): runs a Job's pods to completion. Pods carry
// the job-tracking finalizer until counted: a finished pod's uid goes into
// status.uncountedTerminatedPods first, then its finalizer is removed, then it moves into the
// succeeded or failed count, so a pod deleted in between is never lost or counted twice.
// Parallelism, completions (NonIndexed and Indexed), backoffLimit with failures counted as
// Kubernetes counts them (container restarts too under OnFailure), podFailurePolicy,
// activeDeadlineSeconds, suspend, and ttlSecondsAfterFinished (kube's ttl-after-finished
// controller, folded in here).
import { cloneJson, isApiError, jsonEqual, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type Pod,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { claimOwned, controllerRefOf } from '../common/controller-ref';
import { ownedObjectHandlers } from '../common/owner-routing';
import { Expectations } from '../common/expectations';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { isPodReady } from '../common/pods';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { JOBS, PODS } from '../common/resources';
import { selectorOf } from '../common/selectors';
import { integerFlag, readIntegerFlag } from '../flags';
import {
  failureVerdict,
  indexFailuresAfter,
  successRuleMet,
  type FailureVerdict,
  formatIndexes,
  indexOf,
  isFinished,
  isIndexed,
  JOB_TRACKING_FINALIZER,
  parseIndexes,
  podForJob,
  setCondition,
  type JobObject,
  type JobStatus,
} from './job-pods';

export const JOB_CONTROLLER = 'job-controller';

export const CONCURRENT_JOB_SYNCS = integerFlag(
  'concurrent-job-syncs',
  5,
  'Jobs synced at once by the job controller',
);

export interface JobControllerOptions {
  /** The first back-off after a failed pod (Kubernetes: 10 s, doubling up to 6 minutes). */
  backoffBaseMs?: number;
}

const MAX_BACKOFF_MS = 6 * 60_000;

/**
 * Queue keys of pods that carry the tracking finalizer but whose Job is gone (kube's orphan
 * queue): `kubectl delete job` leaves the pods to the garbage collector, and without this their
 * finalizer would hold them Terminating for ever. Names and namespaces hold no ':'.
 */
const ORPHAN_POD = 'orphan-pod:';

export class JobController implements Controller {
  readonly name = 'job';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private pods!: SharedInformer<Pod>;
  private jobs!: SharedInformer<JobObject>;
  private expectations!: Expectations;
  private readonly backoffBaseMs: number;

  constructor(opts: JobControllerOptions = {}) {
    this.backoffBaseMs = opts.backoffBaseMs ?? 10_000;
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.queue = controllerQueue(ctx, 'job');
    this.pods = ctx.informers.informerFor<Pod>(PODS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    this.jobs = ctx.informers.informerFor<JobObject>(JOBS);
    const handlers = [
      this.jobs.addEventHandler({
        onAdd: (j) => this.queue.add(objectKey(j)),
        onUpdate: (_o, j) => this.queue.add(objectKey(j)),
        onDelete: (d) => {
          const j = finalStateOf(d);
          this.expectations.forget(objectKey(j));
          this.queue.add(objectKey(j));
          for (const p of this.pods.lister.byIndex(CONTROLLER_UID_INDEX, j.metadata.uid ?? ''))
            if (hasTrackingFinalizer(p)) this.queue.add(ORPHAN_POD + objectKey(p));
        },
      }),
      this.pods.addEventHandler({
        onAdd: (p) => this.enqueueIfOrphan(p),
        onUpdate: (_o, p) => this.enqueueIfOrphan(p),
      }),
      this.pods.addEventHandler(
        ownedObjectHandlers<JobObject, Pod>({
          ownerKind: 'Job',
          owners: this.jobs.lister,
          enqueue: (j) => this.queue.add(objectKey(j)),
          selectorOf: (j) => selectorOf(j.spec as never),
          expectations: this.expectations,
        }),
      ),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.pods, this.jobs] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_JOB_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private enqueueIfOrphan(pod: Pod): void {
    if (hasTrackingFinalizer(pod) && !this.ownerJobCached(pod))
      this.queue.add(ORPHAN_POD + objectKey(pod));
  }

  private ownerJobCached(pod: Pod): boolean {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'Job') return false;
    const job = this.jobs.lister.getByKey(`${pod.metadata.namespace}/${ref.name}`);
    return job?.metadata.uid === ref.uid;
  }

  /** Checked against the API before the finalizer goes: a cache that lags must not uncount a pod. */
  private async syncOrphanPod(podKey: string): Promise<void> {
    const pod = this.pods.lister.getByKey(podKey);
    if (!pod || !hasTrackingFinalizer(pod) || this.ownerJobCached(pod)) return;
    const ref = controllerRefOf(pod);
    if (ref?.kind === 'Job') {
      const live = await this.ctx.client
        .forKind<JobObject>('batch/v1', 'Job', pod.metadata.namespace)
        .get(ref.name)
        .catch((err: unknown) => {
          if (isApiError(err) && err.code === 404) return undefined;
          throw err;
        });
      if (live?.metadata.uid === ref.uid) return;
    }
    await this.releaseFinalizers([pod]);
  }

  private async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN_POD)) return this.syncOrphanPod(key.slice(ORPHAN_POD.length));
    const cached = this.jobs.lister.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    // Asked before the pods are read from the cache, as Kubernetes does: a creation observed
    // while this sync awaits a write would otherwise meet the expectation although the pod list
    // below predates that pod, and its index would get a second pod.
    const expectationsMet = this.expectations.satisfied(key);
    const job = cloneJson(cached);
    const selector = selectorOf(job.spec as never);
    if (!selector) return;
    const pods = await claimOwned<Pod>(this.ctx.client, this.pods.lister, {
      owner: job,
      ownerApiVersion: 'batch/v1',
      ownerKind: 'Job',
      selector,
      ops: (ns) => this.ctx.client.pods(ns),
    });
    const finished = isFinished(job);
    if (finished) {
      await this.releaseFinalizers(pods.filter(hasTrackingFinalizer));
      await this.expireFinished(key, job);
      return;
    }
    await this.reconcile(key, job, pods, expectationsMet);
  }

  private async reconcile(
    key: string,
    job: JobObject,
    pods: Pod[],
    expectationsMet: boolean,
  ): Promise<void> {
    const spec = job.spec ?? {};
    const status: JobStatus = cloneJson(job.status ?? {});
    const now = this.now();
    const nowMs = this.ctx.clock.now();
    const uncounted = {
      succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])],
      failed: [...(status.uncountedTerminatedPods?.failed ?? [])],
    };
    const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const completed = parseIndexes(status.completedIndexes);
    const perIndexLimit = isIndexed(job) ? spec.backoffLimitPerIndex : undefined;
    const failedIndexes = parseIndexes(status.failedIndexes);
    // A verdict reached on an earlier sync (its pods were still being counted) stands.
    let failJob = verdictOf(status, 'FailureTarget');
    let succeedJob = verdictOf(status, 'SuccessCriteriaMet');
    let newFailures = 0;
    let recorded = false;
    let lastFailureMs = 0;

    // 1. Finished pods still carrying the finalizer are recorded as uncounted.
    for (const pod of pods) {
      if (!hasTrackingFinalizer(pod)) continue;
      const uid = pod.metadata.uid!;
      if (known.has(uid)) continue;
      const phase = pod.status?.phase;
      const gone = Boolean(pod.metadata.deletionTimestamp) && phase !== 'Succeeded';
      const index = indexOf(pod);
      if (phase === 'Succeeded') {
        uncounted.succeeded.push(uid);
        if (index !== undefined) completed.add(index);
      } else if (phase === 'Failed' || gone) {
        // A pod deleted because the Job was suspended is not a failure (Kubernetes' rule).
        const verdict: FailureVerdict =
          phase === 'Failed'
            ? failureVerdict(job, pod)
            : { action: job.spec?.suspend === true ? 'Ignore' : 'Count' };
        if (verdict.action === 'Ignore') {
          // Ignored failures are released without counting: recorded as neither.
          known.add(uid);
          await this.releaseFinalizers([pod]);
          continue;
        }
        if (verdict.action === 'FailJob')
          failJob ??= { reason: 'PodFailurePolicy', message: verdict.message ?? '' };
        if (typeof perIndexLimit === 'number' && index !== undefined) {
          if (verdict.action === 'FailIndex' || failuresOfIndex(pods, index) > perIndexLimit)
            failedIndexes.add(index);
        }
        uncounted.failed.push(uid);
        newFailures++;
      } else continue;
      known.add(uid);
      recorded = true;
    }
    for (const pod of pods) {
      if (pod.status?.phase === 'Failed') {
        const finishedAt = Date.parse(
          pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ?? '',
        );
        lastFailureMs = Math.max(lastFailureMs, Number.isNaN(finishedAt) ? nowMs : finishedAt);
      }
    }
    status.uncountedTerminatedPods = uncounted;
    if (isIndexed(job)) status.completedIndexes = formatIndexes(completed);
    if (typeof perIndexLimit === 'number') status.failedIndexes = formatIndexes(failedIndexes);

    const active = pods.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    );
    const backoffLimit = spec.backoffLimit ?? 6;
    const deadline = spec.activeDeadlineSeconds;
    const suspended = spec.suspend === true;
    const completions = spec.completions;
    const startMs = status.startTime ? Date.parse(status.startTime) : nowMs;
    let failedTotal = (status.failed ?? 0) + uncounted.failed.length;
    if (spec.template?.spec?.restartPolicy === 'OnFailure') {
      for (const p of active)
        for (const c of p.status?.containerStatuses ?? []) failedTotal += c.restartCount ?? 0;
    }

    // 2. The verdict, from what is recorded so far.
    if (!failJob && !succeedJob) {
      if (
        typeof perIndexLimit === 'number' &&
        typeof spec.maxFailedIndexes === 'number' &&
        failedIndexes.size > spec.maxFailedIndexes
      ) {
        failJob = {
          reason: 'MaxFailedIndexesExceeded',
          message: 'Job has exceeded the specified maximal number of failed indexes',
        };
      } else if (perIndexLimit === undefined && failedTotal > backoffLimit) {
        failJob = {
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        };
      } else if (!suspended && typeof deadline === 'number' && startMs + deadline * 1000 <= nowMs) {
        failJob = {
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        };
      }
    }
    if (!failJob && !succeedJob && isIndexed(job)) {
      const rule = successRuleMet(job, completed);
      if (rule !== undefined)
        succeedJob = { reason: 'SuccessPolicy', message: `Matched rules at index ${rule}` };
    }
    // Every index either done or given up: failed, when any was given up.
    if (
      !failJob &&
      !succeedJob &&
      failedIndexes.size > 0 &&
      typeof completions === 'number' &&
      completed.size + failedIndexes.size >= completions
    ) {
      failJob = { reason: 'FailedIndexes', message: 'Job has failed indexes' };
    }
    if (failJob && !verdictOf(status, 'FailureTarget')) {
      setCondition(status, 'FailureTarget', 'True', failJob.reason, failJob.message, now);
      recorded = true;
    }
    if (succeedJob && !verdictOf(status, 'SuccessCriteriaMet')) {
      setCondition(
        status,
        'SuccessCriteriaMet',
        'True',
        succeedJob.reason,
        succeedJob.message,
        now,
      );
      recorded = true;
    }
    // The finished pods and any verdict are on record before finalizers go: a verdict is never lost.
    if (recorded) job.status = await this.writeStatus(job, status);

    // 3. Finalizers go once the uid is on record; then the counts move.
    const byUid = new Map(pods.map((p) => [p.metadata.uid!, p]));
    await this.releaseFinalizers(
      [...uncounted.succeeded, ...uncounted.failed]
        .map((uid) => byUid.get(uid))
        .filter((p): p is Pod => !!p && hasTrackingFinalizer(p)),
    );
    const stillTracked = (uid: string) => {
      const p = byUid.get(uid);
      return !!p && hasTrackingFinalizer(p);
    };
    const movedSucceeded = uncounted.succeeded.filter((u) => !stillTracked(u));
    const movedFailed = uncounted.failed.filter((u) => !stillTracked(u));
    status.succeeded = (status.succeeded ?? 0) + movedSucceeded.length;
    status.failed = (status.failed ?? 0) + movedFailed.length;
    uncounted.succeeded = uncounted.succeeded.filter(stillTracked);
    uncounted.failed = uncounted.failed.filter(stillTracked);
    const succeededTotal = status.succeeded + uncounted.succeeded.length;

    // 4. Suspension, completion, and the pods to run.
    if (suspended) {
      if (active.length > 0) await this.deletePods(active);
      if (!(status.conditions ?? []).some((c) => c.type === 'Suspended' && c.status === 'True'))
        setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
    } else {
      if ((status.conditions ?? []).some((c) => c.type === 'Suspended' && c.status === 'True')) {
        setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        status.startTime = now;
      }
      status.startTime ??= now;
    }
    let complete = Boolean(succeedJob);
    if (!failJob && !complete) {
      if (isIndexed(job)) {
        complete = typeof completions === 'number' && completed.size >= completions;
      } else if (typeof completions === 'number') {
        complete = succeededTotal >= completions;
      } else {
        complete = succeededTotal > 0 && active.length === 0;
      }
    }

    // As Kubernetes since 1.31: SuccessCriteriaMet (or FailureTarget) first, and Complete (or
    // Failed) once every pod is counted.
    if (complete && !failJob) {
      succeedJob ??= {
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      };
      if (!verdictOf(status, 'SuccessCriteriaMet'))
        setCondition(
          status,
          'SuccessCriteriaMet',
          'True',
          succeedJob.reason,
          succeedJob.message,
          now,
        );
    }
    if (failJob || (complete && succeedJob)) {
      if (active.length > 0) await this.deletePods(active);
      if (uncounted.succeeded.length === 0 && uncounted.failed.length === 0) {
        if (failJob) setCondition(status, 'Failed', 'True', failJob.reason, failJob.message, now);
        else if (succeedJob) {
          setCondition(status, 'Complete', 'True', succeedJob.reason, succeedJob.message, now);
          status.completionTime = now;
        }
      }
    } else if (!suspended && expectationsMet) {
      const delay = this.backoffDelay(
        newFailures > 0 ? failedTotal : (status.failed ?? 0),
        lastFailureMs,
        nowMs,
      );
      if (delay > 0 && (status.failed ?? 0) + uncounted.failed.length > 0 && active.length === 0) {
        this.queue.addAfter(key, delay);
      } else {
        await this.manageActive(key, job, pods, active, completed, failedIndexes, succeededTotal);
      }
    }
    if (!failJob && !complete && !suspended && typeof deadline === 'number') {
      this.queue.addAfter(key, Math.max(0, startMs + deadline * 1000 - nowMs) + 100);
    }

    status.active = failJob || complete || suspended ? 0 : active.length;
    status.ready = active.filter(isPodReady).length;
    status.terminating = pods.filter(
      (p) =>
        p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    ).length;
    status.uncountedTerminatedPods = uncounted;
    if (!jsonEqual(status, job.status ?? {})) await this.writeStatus(job, status);
    if (uncounted.succeeded.length + uncounted.failed.length > 0) this.queue.addAfter(key, 200);
  }

  /** Kubernetes' back-off: base × 2^(failures-1) after the last failure, at most 6 minutes. */
  private backoffDelay(failures: number, lastFailureMs: number, nowMs: number): number {
    if (failures <= 0 || lastFailureMs === 0) return 0;
    const wait = Math.min(this.backoffBaseMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
    return Math.max(0, lastFailureMs + wait - nowMs);
  }

  private async manageActive(
    key: string,
    job: JobObject,
    pods: Pod[],
    active: Pod[],
    completed: Set<number>,
    failedIndexes: Set<number>,
    succeeded: number,
  ): Promise<void> {
    const spec = job.spec ?? {};
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions;
    const client = this.ctx.client.pods(job.metadata.namespace);
    if (isIndexed(job)) {
      // Two pods of one index (a create that timed out but happened), or an index out of range:
      // the extras go, the oldest stays, as Kubernetes removes duplicated indexes.
      const extras = duplicateOrStrayIndexPods(active, completions ?? 0);
      if (extras.length > 0) {
        this.expectations.expectDeletions(
          key,
          extras.map((p) => objectKey(p)),
        );
        await this.deletePods(extras);
        return;
      }
      const busy = new Set(active.map(indexOf).filter((i): i is number => i !== undefined));
      const want: number[] = [];
      for (let i = 0; i < (completions ?? 0) && busy.size + want.length < parallelism; i++) {
        if (!completed.has(i) && !busy.has(i) && !failedIndexes.has(i)) want.push(i);
      }
      await this.createPods(
        key,
        job,
        want,
        want.map((i) => failuresOfIndex(pods, i)),
      );
      return;
    }
    let wantActive: number;
    if (typeof completions === 'number')
      wantActive = Math.min(parallelism, completions - succeeded);
    else wantActive = succeeded > 0 ? 0 : parallelism;
    wantActive = Math.max(0, wantActive);
    if (active.length < wantActive) {
      await this.createPods(
        key,
        job,
        new Array<undefined>(wantActive - active.length).fill(undefined),
      );
    } else if (active.length > wantActive) {
      const extra = [...active]
        .sort((a, b) =>
          String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
        )
        .slice(0, active.length - wantActive);
      this.expectations.expectDeletions(
        key,
        extra.map((p) => objectKey(p)),
      );
      await Promise.all(
        extra.map((p) =>
          client.delete(p.metadata.name!).catch((err: unknown) => {
            this.expectations.deletionObserved(key, objectKey(p));
            if (!(isApiError(err) && err.code === 404)) throw err;
          }),
        ),
      );
    }
  }

  private async createPods(
    key: string,
    job: JobObject,
    indexes: (number | undefined)[],
    /** Per index: the failures it had so far (backoffLimitPerIndex). */
    indexFailures: number[] = [],
  ): Promise<void> {
    if (indexes.length === 0) return;
    const recorder = this.ctx.recorder(JOB_CONTROLLER);
    const ref = { ...job, apiVersion: 'batch/v1', kind: 'Job' };
    this.expectations.expectCreations(key, indexes.length);
    const pods = this.ctx.client.pods(job.metadata.namespace);
    const errors: unknown[] = [];
    await Promise.all(
      indexes.map(async (index, i) => {
        try {
          const created = await pods.create(podForJob(job, index, indexFailures[i] ?? 0));
          recorder.eventf(
            ref,
            undefined,
            'Normal',
            'SuccessfulCreate',
            'Create',
            'Created pod: %s',
            created.metadata.name,
          );
        } catch (err) {
          this.expectations.creationObserved(key);
          recorder.eventf(
            ref,
            undefined,
            'Warning',
            'FailedCreate',
            'Create',
            'Error creating: %s',
            err instanceof Error ? err.message : String(err),
          );
          errors.push(err);
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
  }

  private async deletePods(pods: Pod[]): Promise<void> {
    await Promise.all(
      pods.map((p) =>
        this.ctx.client
          .pods(p.metadata.namespace)
          .delete(p.metadata.name!, { preconditions: { uid: p.metadata.uid } })
          .catch((err: unknown) => {
            if (!(isApiError(err) && (err.code === 404 || err.code === 409))) throw err;
          }),
      ),
    );
  }

  private async releaseFinalizers(pods: Pod[]): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        const finalizers = (p.metadata.finalizers ?? []).filter(
          (f) => f !== JOB_TRACKING_FINALIZER,
        );
        try {
          await this.ctx.client.pods(p.metadata.namespace).patch(
            p.metadata.name!,
            [
              { op: 'test', path: '/metadata/uid', value: p.metadata.uid },
              { op: 'replace', path: '/metadata/finalizers', value: finalizers },
            ],
            'json',
          );
        } catch (err) {
          if (!(isApiError(err) && (err.code === 404 || err.code === 422 || err.code === 409)))
            throw err;
        }
      }),
    );
  }

  /** ttlSecondsAfterFinished: a finished Job is deleted (with its pods) once it has expired. */
  private async expireFinished(key: string, job: JobObject): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (typeof ttl !== 'number' || job.metadata.deletionTimestamp) return;
    const finishedAt = (job.status?.conditions ?? []).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    )?.lastTransitionTime;
    const at = (finishedAt ? Date.parse(finishedAt) : this.ctx.clock.now()) + ttl * 1000;
    const wait = at - this.ctx.clock.now();
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return;
    }
    await this.ctx.client
      .forKind('batch/v1', 'Job', job.metadata.namespace)
      .delete(job.metadata.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      })
      .catch((err: unknown) => {
        if (!(isApiError(err) && (err.code === 404 || err.code === 409))) throw err;
      });
  }

  private async writeStatus(job: JobObject, status: JobStatus): Promise<JobStatus> {
    const jobs = this.ctx.client.forKind<JobObject>('batch/v1', 'Job', job.metadata.namespace);
    const written = await jobs.updateStatus({
      ...job,
      apiVersion: 'batch/v1',
      kind: 'Job',
      status,
    });
    job.metadata.resourceVersion = written.metadata.resourceVersion;
    return written.status ?? {};
  }
}

function duplicateOrStrayIndexPods(active: Pod[], completions: number): Pod[] {
  const byAge = [...active].sort((a, b) =>
    String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
  );
  const seen = new Set<number>();
  const extras: Pod[] = [];
  for (const p of byAge) {
    const i = indexOf(p);
    if (i === undefined || i >= completions || seen.has(i)) extras.push(p);
    else seen.add(i);
  }
  return extras;
}

/** The failures an index has had: the most any of its pods knows of (a deleted pod counts). */
function failuresOfIndex(pods: Pod[], index: number): number {
  let most = 0;
  for (const p of pods) {
    if (indexOf(p) !== index) continue;
    const deletedUnfinished =
      p.metadata.deletionTimestamp &&
      p.status?.phase !== 'Failed' &&
      p.status?.phase !== 'Succeeded';
    most = Math.max(most, indexFailuresAfter(p) + (deletedUnfinished ? 1 : 0));
  }
  return most;
}

/** A verdict recorded as a condition (FailureTarget, SuccessCriteriaMet) on an earlier sync. */
function verdictOf(
  status: JobStatus,
  type: string,
): { reason: string; message: string } | undefined {
  const c = (status.conditions ?? []).find((x) => x.type === type && x.status === 'True');
  return c ? { reason: c.reason ?? '', message: c.message ?? '' } : undefined;
}

function hasTrackingFinalizer(pod: Pod): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

export const jobControllerFactory: ControllerFactory = {
  name: 'job',
  enabledByDefault: true,
  flags: [CONCURRENT_JOB_SYNCS],
  create: () => new JobController(),
};
