// The CronJob controller (kube's cronjob_controllerv2): creates a CronJob's Jobs at its scheduled
// times. Only the most recent missed time is ever run (a controller that was down, or a new
// leader after a failover, catches up once, never in a storm), a Job's name carries its scheduled
// minute so two controllers can never start the same run twice, startingDeadlineSeconds skips
// runs that are too late, concurrencyPolicy Allow/Forbid/Replace, history limits, suspend.
import { cloneJson, isApiError, parseCronSchedule, type KubeObject } from '@flotilla/api';
import { finalStateOf, objectKey, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { controllerRefOf, ownerRefTo } from '../common/controller-ref';
import { byControllerUid, CONTROLLER_UID_INDEX } from '../common/indexes';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { CRONJOBS, JOBS } from '../common/resources';
import { integerFlag, readIntegerFlag } from '../flags';
import { isFinished, type JobObject } from '../job/job-pods';

export const CRONJOB_CONTROLLER = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Past this many missed times the controller says so (kube's TooManyMissedTimes). */
const MANY_MISSED = 100;

export const CONCURRENT_CRONJOB_SYNCS = integerFlag(
  'concurrent-cron-job-syncs',
  5,
  'CronJobs synced at once by the cronjob controller',
);

interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

type CronJobObject = KubeObject & {
  spec?: {
    schedule?: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate?: { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> };
  };
  status?: { active?: ObjectRef[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
};

export interface CronJobControllerOptions {
  /** The controller's notion of now (ms); the manager's clock when absent. */
  now?: () => number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Job name of a run: the CronJob's name and the scheduled time in minutes since the epoch. */
export function jobNameFor(cronJob: string, scheduledMs: number): string {
  return `${cronJob}-${Math.floor(scheduledMs / 60_000)}`;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private cronJobs!: SharedInformer<CronJobObject>;
  private jobs!: SharedInformer<JobObject>;
  /** Jobs this controller created that its informer may not show yet, by CronJob key. */
  private readonly created = new Map<string, ObjectRef[]>();

  constructor(private readonly opts: CronJobControllerOptions = {}) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'cronjob');
    this.cronJobs = ctx.informers.informerFor<CronJobObject>(CRONJOBS);
    this.jobs = ctx.informers.informerFor<JobObject>(JOBS, {
      indexers: { [CONTROLLER_UID_INDEX]: byControllerUid },
    });
    const jobChanged = (job: JobObject) => {
      const ref = controllerRefOf(job);
      if (ref?.kind !== 'CronJob') return;
      this.queue.add(`${job.metadata.namespace}/${ref.name}`);
    };
    const handlers = [
      this.cronJobs.addEventHandler({
        onAdd: (c) => this.queue.add(objectKey(c)),
        onUpdate: (_o, c) => this.queue.add(objectKey(c)),
        onDelete: (d) => this.queue.add(objectKey(finalStateOf(d))),
      }),
      this.jobs.addEventHandler({
        onAdd: jobChanged,
        onUpdate: (_o, j) => jobChanged(j),
        onDelete: (d) => jobChanged(finalStateOf(d)),
      }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.cronJobs, this.jobs] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_CRONJOB_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private now(): number {
    return this.opts.now?.() ?? this.ctx.clock.now();
  }

  private async sync(key: string): Promise<void> {
    const cached = this.cronJobs.lister.getByKey(key);
    if (!cached) return;
    const cj = cloneJson(cached);
    const spec = cj.spec ?? {};
    const status = cloneJson(cj.status ?? {});
    const before = JSON.stringify(status);
    const now = this.now();
    const owned = this.jobs.lister
      .byIndex(CONTROLLER_UID_INDEX, cj.metadata.uid ?? '')
      .filter((j) => j.metadata.namespace === cj.metadata.namespace);
    const recorder = this.ctx.recorder(CRONJOB_CONTROLLER);
    const ref = { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };

    // Active list: the owned Jobs still running, and those the status names that this
    // informer has not seen yet (a Job just created, possibly by a previous leader).
    const byUid = new Map(owned.map((j) => [j.metadata.uid, j]));
    const active: ObjectRef[] = [];
    const mine = (this.created.get(key) ?? []).filter((r) => !byUid.has(r.uid));
    if (mine.length > 0) this.created.set(key, mine);
    else this.created.delete(key);
    const named = [...(status.active ?? [])];
    for (const r of mine) if (!named.some((n) => n.uid === r.uid)) named.push(r);
    for (const r of named) {
      const j = byUid.get(r.uid);
      if (j ? !isFinished(j) : await this.stillExists(r)) active.push(j ? refTo(j) : r);
    }
    for (const j of owned)
      if (!isFinished(j) && !active.some((r) => r.uid === j.metadata.uid)) active.push(refTo(j));
    const running = owned.filter((j) => !isFinished(j));
    status.active = active;
    for (const j of owned) {
      if (isFinished(j) !== 'Complete') continue;
      const done = j.status?.completionTime;
      if (done && (!status.lastSuccessfulTime || done > status.lastSuccessfulTime))
        status.lastSuccessfulTime = done;
    }
    if (status.active.length === 0) delete status.active;
    await this.cleanupHistory(cj, owned);

    const schedule = parseSchedule(spec.schedule ?? '', spec.timeZone);
    if (!schedule || cj.metadata.deletionTimestamp || spec.suspend === true) {
      await this.writeStatus(cj, status, before);
      return;
    }

    // The most recent scheduled time not yet run, if any is due.
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '');
    if (Number.isNaN(earliest)) earliest = now;
    const deadline = spec.startingDeadlineSeconds;
    if (typeof deadline === 'number') earliest = Math.max(earliest, now - deadline * 1000);
    const { mostRecent, missed } = mostRecentScheduleTime(schedule, earliest, now);
    if (missed > MANY_MISSED) {
      recorder.eventf(
        ref,
        undefined,
        'Warning',
        'TooManyMissedTimes',
        'Schedule',
        'too many missed start times: %s. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
        String(missed),
      );
    }
    this.requeueForNext(key, schedule, now);
    if (mostRecent === undefined) {
      await this.writeStatus(cj, status, before);
      return;
    }
    if (typeof deadline === 'number' && mostRecent + deadline * 1000 < now) {
      recorder.eventf(
        ref,
        undefined,
        'Warning',
        'MissSchedule',
        'Schedule',
        'Missed scheduled time to start a job: %s',
        rfc3339(mostRecent),
      );
      await this.writeStatus(cj, status, before);
      return;
    }
    const name = jobNameFor(cj.metadata.name!, mostRecent);
    if (owned.some((j) => j.metadata.name === name)) {
      await this.writeStatus(cj, status, before);
      return;
    }
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      await this.writeStatus(cj, status, before);
      return;
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const j of running) {
        await this.deleteJob(j);
        recorder.eventf(
          ref,
          undefined,
          'Normal',
          'SuccessfulDelete',
          'Delete',
          'Deleted job %s',
          j.metadata.name,
        );
      }
      delete status.active;
    }
    const created = await this.createJob(cj, name, mostRecent);
    if (created) {
      this.created.set(key, [...(this.created.get(key) ?? []), refTo(created)]);
      recorder.eventf(
        ref,
        undefined,
        'Normal',
        'SuccessfulCreate',
        'Create',
        'Created job %s',
        name,
      );
      status.active = [...(status.active ?? []), refTo(created)];
    }
    status.lastScheduleTime = rfc3339(mostRecent);
    await this.writeStatus(cj, status, before);
  }

  /** A Job the status names but the informer lacks: asked of the server (gone means not active). */
  private async stillExists(r: ObjectRef): Promise<boolean> {
    try {
      const j = await this.ctx.client
        .forKind<JobObject>('batch/v1', 'Job', r.namespace)
        .get(r.name!);
      return j.metadata.uid === r.uid && !isFinished(j);
    } catch (err) {
      if (isApiError(err) && err.code === 404) return false;
      throw err;
    }
  }

  private requeueForNext(key: string, schedule: { next(d: Date): Date | undefined }, now: number) {
    const next = schedule.next(new Date(now));
    if (next) this.queue.addAfter(key, Math.max(0, next.getTime() - now) + 100);
  }

  /** The run's Job; an AlreadyExists of our own Job means another leader already started it. */
  private async createJob(
    cj: CronJobObject,
    name: string,
    scheduledMs: number,
  ): Promise<JobObject | undefined> {
    const template = cj.spec?.jobTemplate ?? {};
    const meta = template.metadata ?? {};
    const job: JobObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...(meta.labels ?? {}) },
        annotations: {
          ...(meta.annotations ?? {}),
          [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledMs),
        },
        ownerReferences: [ownerRefTo(cj, 'batch/v1', 'CronJob')],
      },
      spec: cloneJson(template.spec ?? {}) as JobObject['spec'],
    };
    const jobs = this.ctx.client.forKind<JobObject>('batch/v1', 'Job', cj.metadata.namespace);
    try {
      return await jobs.create(job);
    } catch (err) {
      if (isApiError(err) && err.code === 409) {
        const existing = await jobs.get(name).catch(() => undefined);
        if (existing && controllerRefOf(existing)?.uid === cj.metadata.uid) return existing;
      }
      throw err;
    }
  }

  private async deleteJob(job: JobObject): Promise<void> {
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

  /** Keeps the newest successfulJobsHistoryLimit complete and failedJobsHistoryLimit failed Jobs. */
  private async cleanupHistory(cj: CronJobObject, owned: JobObject[]): Promise<void> {
    const limits = {
      Complete: cj.spec?.successfulJobsHistoryLimit ?? 3,
      Failed: cj.spec?.failedJobsHistoryLimit ?? 1,
    };
    for (const kind of ['Complete', 'Failed'] as const) {
      const finished = owned
        .filter((j) => isFinished(j) === kind && !j.metadata.deletionTimestamp)
        .sort((a, b) => startOf(a).localeCompare(startOf(b)));
      for (const j of finished.slice(0, Math.max(0, finished.length - limits[kind])))
        await this.deleteJob(j);
    }
  }

  private async writeStatus(
    cj: CronJobObject,
    status: NonNullable<CronJobObject['status']>,
    before: string,
  ) {
    if (JSON.stringify(status) === before) return;
    const client = this.ctx.client.forKind<CronJobObject>(
      'batch/v1',
      'CronJob',
      cj.metadata.namespace,
    );
    await client.updateStatus({ ...cj, apiVersion: 'batch/v1', kind: 'CronJob', status });
  }
}

/**
 * The latest scheduled time in (earliest, now] and how many there were (more than MANY_MISSED
 * is reported as such, not counted): a long outage costs a bounded scan, and only the most
 * recent time is ever run.
 */
export function mostRecentScheduleTime(
  schedule: { next(d: Date): Date | undefined },
  earliest: number,
  now: number,
): { mostRecent?: number; missed: number } {
  let mostRecent: number | undefined;
  let missed = 0;
  for (let t = schedule.next(new Date(earliest)); t && t.getTime() <= now; t = schedule.next(t)) {
    mostRecent = t.getTime();
    if (++missed > MANY_MISSED) break;
  }
  if (missed <= MANY_MISSED) return { mostRecent, missed };
  // Too many to walk: look back from now over growing windows (a year at most).
  for (let window = 120_000; window <= 400 * 86_400_000; window *= 4) {
    let latest: number | undefined;
    let steps = 0;
    const start = Math.max(earliest, now - window);
    for (
      let t = schedule.next(new Date(start));
      t && t.getTime() <= now && steps < 10_000;
      t = schedule.next(t), steps++
    )
      latest = t.getTime();
    if (latest !== undefined) return { mostRecent: latest, missed };
  }
  return { mostRecent, missed };
}

function startOf(j: JobObject): string {
  return j.status?.startTime ?? j.metadata.creationTimestamp ?? '';
}

function refTo(j: JobObject): ObjectRef {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: j.metadata.name,
    namespace: j.metadata.namespace,
    uid: j.metadata.uid,
    resourceVersion: j.metadata.resourceVersion,
  };
}

function parseSchedule(text: string, timeZone: string | undefined) {
  try {
    return parseCronSchedule(text, timeZone);
  } catch {
    return undefined;
  }
}

export const cronJobControllerFactory: ControllerFactory = {
  name: 'cronjob',
  enabledByDefault: true,
  flags: [CONCURRENT_CRONJOB_SYNCS],
  create: () => new CronJobController(),
};
