// The CronJob controller against a real API server in process, on a clock the test moves: a Job
// per scheduled minute named after it, Forbid while one runs, and a controller failover with
// missed minutes in between catching up once (one Job, not one per missed minute).
import type { KubeObject } from '@flotilla/api';
import { startHarness, waitFor, sleep, type Harness } from '../../test/harness';
import type { JobObject } from '../job/job-pods';
import {
  CronJobController,
  jobNameFor,
  mostRecentScheduleTime,
  SCHEDULED_TIMESTAMP_ANNOTATION,
} from './cronjob-controller';

function cronJobBody(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1' }] },
          },
        },
      },
      ...spec,
    },
  };
}

describe('CronJob controller', () => {
  let h: Harness;
  let now = 0;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const cronJobs = () => h.client.forKind('batch/v1', 'CronJob', 'default');
  const jobs = () => h.client.forKind<JobObject>('batch/v1', 'Job', 'default');
  const jobsOf = async (app: string) =>
    (await jobs().list({ labelSelector: `app=${app}` })).items.map((j) => j.metadata.name).sort();
  /** Moves the controller's clock and makes it look again (as its timer would). */
  const tick = async (name: string, to: number) => {
    now = to;
    await cronJobs().patch(name, { metadata: { annotations: { tick: String(to) } } }, 'merge');
  };

  /** The first scheduled minute after the CronJob was created (the API stamps real time). */
  const firstMinute = (cj: KubeObject) =>
    Math.ceil((Date.parse(cj.metadata.creationTimestamp!) + 1) / 60_000) * 60_000;

  it('starts one Job per scheduled minute, named after it, and records the schedule', async () => {
    now = Date.now();
    const cj = await cronJobs().create(cronJobBody('tick'));
    const base = firstMinute(cj);
    h.run([new CronJobController({ now: () => now })]);
    await sleep(200);
    expect(await jobsOf('tick')).toEqual([]);
    await tick('tick', base + 1_000);
    await waitFor('a Job', async () => ((await jobsOf('tick')).length === 1 ? true : undefined));
    expect(await jobsOf('tick')).toEqual([jobNameFor('tick', base)]);
    const job = await jobs().get(jobNameFor('tick', base));
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      name: 'tick',
      controller: true,
    });
    expect(job.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(
      new Date(base).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );
    await waitFor('status.active and lastScheduleTime', async () => {
      const cur = (await cronJobs().get('tick')) as KubeObject & {
        status?: { active?: unknown[]; lastScheduleTime?: string };
      };
      return cur.status?.active?.length === 1 && cur.status.lastScheduleTime ? true : undefined;
    });
    await tick('tick', base + 61_000);
    await waitFor('a second Job', async () =>
      (await jobsOf('tick')).length === 2 ? true : undefined,
    );
  });

  it('with Forbid, starts nothing while a run is active; a failover catches up once', async () => {
    now = Date.now();
    const cj = await cronJobs().create(cronJobBody('forbid', { concurrencyPolicy: 'Forbid' }));
    const base = firstMinute(cj);
    const stopFirst = h.run([new CronJobController({ now: () => now })]);
    await tick('forbid', base + 1_000);
    await waitFor('the first Job', async () =>
      (await jobsOf('forbid')).length === 1 ? true : undefined,
    );
    // Still running at the next minute: Forbid starts nothing.
    await tick('forbid', base + 61_000);
    await sleep(300);
    expect(await jobsOf('forbid')).toEqual([jobNameFor('forbid', base)]);

    // The controller's master goes away; meanwhile the first run finishes and five minutes pass.
    await stopFirst();
    const first = await jobs().get(jobNameFor('forbid', base));
    await jobs().updateStatus({
      ...first,
      status: {
        conditions: [{ type: 'Complete', status: 'True' }],
        completionTime: new Date(base + 90_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    now = base + 6 * 60_000 + 30_000;
    // A new leader: one catch-up run for the most recent missed minute, not five.
    h.run([new CronJobController({ now: () => now })]);
    await waitFor('the catch-up Job', async () =>
      (await jobsOf('forbid')).length === 2 ? true : undefined,
    );
    await sleep(300);
    expect(await jobsOf('forbid')).toEqual(
      [jobNameFor('forbid', base), jobNameFor('forbid', base + 6 * 60_000)].sort(),
    );
  });

  it('finds the most recent time after a long outage with a bounded scan', () => {
    const everyMinute = {
      next: (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000 + 60_000),
    };
    const start = Date.parse('2030-01-01T00:00:00Z');
    const { mostRecent, missed } = mostRecentScheduleTime(
      everyMinute,
      start,
      start + 30 * 86_400_000 + 5_000,
    );
    expect(mostRecent).toBe(start + 30 * 86_400_000);
    expect(missed).toBeGreaterThan(100);
  });
});
