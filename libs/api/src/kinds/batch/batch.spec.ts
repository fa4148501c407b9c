// batch/v1 Job and CronJob as the strategy serves them: defaults, generated selectors, the 422
// causes Kubernetes gives, the columns kubectl prints.
import { findResource } from '../../catalog';
import type { KubeObject } from '../../object';
import { ApiError } from '../../status';
import {
  prepareForCreate,
  prepareForUpdate,
  unknownFields,
  validateCreate,
  validateUpdate,
} from '../../strategy';
import { toTable } from '../../table';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../../protobuf';
import { parseCronSchedule } from './cron-schedule';

const jobs = findResource('batch', 'v1', 'jobs')!;
const cronJobs = findResource('batch', 'v1', 'cronjobs')!;
const ctx = { now: new Date('2025-01-01T00:00:00Z'), newUid: () => 'uid-1', namespace: 'default' };

function job(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi' },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } },
      ...spec,
    },
  };
}

function cronJob(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick' },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1' }] },
          },
        },
      },
      ...spec,
    },
  };
}

function causes(fn: () => void): { field?: string; message?: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError && err.code === 422)
      return ((err.status.details as { causes?: unknown[] } | undefined)?.causes ?? []) as {
        field?: string;
        message?: string;
      }[];
    throw err;
  }
  throw new Error('expected a 422');
}

describe('batch/v1 Job', () => {
  it('is defaulted as Kubernetes defaults it, with a generated selector and labels', () => {
    const made = prepareForCreate(jobs, job(), ctx);
    expect(made.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } },
    });
    expect((made.spec as { template: KubeObject }).template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': 'uid-1',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'uid-1',
      'job-name': 'pi',
    });
    expect(made.metadata.generation).toBe(1);
    expect(() => validateCreate(jobs, made)).not.toThrow();
    expect(unknownFields(jobs, made)).toEqual([]);
  });

  it('answers negative completions, a bad restartPolicy and Indexed without completions with causes', () => {
    const bad = prepareForCreate(jobs, job({ completions: -1, parallelism: 2 }), ctx);
    expect(causes(() => validateCreate(jobs, bad))).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.completions',
      message: 'Invalid value: -1: must be greater than or equal to 0',
    });
    const always = job();
    (always.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy =
      'Always';
    expect(causes(() => validateCreate(jobs, prepareForCreate(jobs, always, ctx)))).toContainEqual(
      expect.objectContaining({
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"',
      }),
    );
    const indexed = prepareForCreate(jobs, job({ completionMode: 'Indexed', parallelism: 2 }), ctx);
    delete (indexed.spec as Record<string, unknown>).completions;
    expect(causes(() => validateCreate(jobs, indexed))).toContainEqual(
      expect.objectContaining({
        field: 'spec.completions',
        message: 'Required value: when completion mode is Indexed',
      }),
    );
  });

  it('answers per-index limits, FailIndex and successPolicy out of place with causes', () => {
    const nonIndexed = prepareForCreate(
      jobs,
      job({
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 1,
        successPolicy: { rules: [{ succeededCount: 1 }] },
      }),
      ctx,
    );
    const got = causes(() => validateCreate(jobs, nonIndexed));
    for (const field of [
      'spec.backoffLimitPerIndex',
      'spec.maxFailedIndexes',
      'spec.successPolicy',
    ])
      expect(got).toContainEqual(
        expect.objectContaining({
          field,
          message: expect.stringMatching(/^Invalid value: .*: requires indexed completion mode$/),
        }),
      );
    const failIndex = prepareForCreate(
      jobs,
      job({
        completionMode: 'Indexed',
        completions: 3,
        podFailurePolicy: {
          rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }],
        },
      }),
      ctx,
    );
    expect(causes(() => validateCreate(jobs, failIndex))).toContainEqual(
      expect.objectContaining({
        field: 'spec.podFailurePolicy.rules[0].action',
        message: 'Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
      }),
    );
    const rules = prepareForCreate(
      jobs,
      job({
        completionMode: 'Indexed',
        completions: 3,
        successPolicy: { rules: [{}, { succeededIndexes: '0-5' }, { succeededCount: 4 }] },
      }),
      ctx,
    );
    expect(causes(() => validateCreate(jobs, rules))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'spec.successPolicy.rules[0]',
          message:
            'Required value: at least one of succeededCount or succeededIndexes must be specified',
        }),
        expect.objectContaining({
          field: 'spec.successPolicy.rules[1].succeededIndexes',
          message: 'Invalid value: "0-5": error parsing succeededIndexes: too large index: 5',
        }),
        expect.objectContaining({
          field: 'spec.successPolicy.rules[2].succeededCount',
          message:
            'Invalid value: 4: must be less than or equal to 3 (the number of specified completions)',
        }),
      ]),
    );
  });

  it('keeps completions and the template fixed on update', () => {
    const made = prepareForCreate(jobs, job({ completions: 3 }), ctx);
    const next = prepareForUpdate(
      jobs,
      { ...made, spec: { ...(made.spec as object), completions: 4 } },
      made,
    );
    expect(causes(() => validateUpdate(jobs, next, made))).toContainEqual(
      expect.objectContaining({
        field: 'spec.completions',
        message: 'Invalid value: 4: field is immutable',
      }),
    );
  });

  it('travels as protobuf (kubectl create job sends it), field for field', () => {
    const made = prepareForCreate(jobs, job({ completions: 2 }), ctx);
    const back = decodeKubernetesProtobuf(encodeKubernetesProtobuf(made));
    // Empty objects do not travel (Go omits them too); everything else does.
    expect(back.metadata).toEqual(made.metadata);
    const { template: _t, ...spec } = made.spec as Record<string, unknown>;
    expect(back.spec).toMatchObject(spec);
    expect(JSON.stringify(back)).toContain('"restartPolicy":"Never"');
    const cj = prepareForCreate(cronJobs, cronJob({ timeZone: 'Europe/Paris' }), ctx);
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(cj))).toMatchObject({
      spec: { schedule: '*/1 * * * *', timeZone: 'Europe/Paris', concurrencyPolicy: 'Allow' },
    });
  });

  it('prints STATUS, COMPLETIONS and DURATION as kubectl does', () => {
    const made = prepareForCreate(jobs, job({ completions: 5, parallelism: 2 }), ctx);
    made.status = {
      succeeded: 5,
      startTime: '2025-01-01T00:00:00Z',
      completionTime: '2025-01-01T00:00:42Z',
      conditions: [{ type: 'Complete', status: 'True' }],
    };
    const row = (
      toTable(jobs, [made], { now: new Date('2025-01-01T01:00:00Z') }).rows as {
        cells: unknown[];
      }[]
    )[0];
    expect(row.cells.slice(0, 5)).toEqual(['pi', 'Complete', '5/5', '42s', '60m']);
  });
});

describe('batch/v1 CronJob', () => {
  it('is defaulted and validated; a bad schedule is a 422 on spec.schedule', () => {
    const made = prepareForCreate(cronJobs, cronJob(), ctx);
    expect(made.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(() => validateCreate(cronJobs, made)).not.toThrow();
    const bad = prepareForCreate(cronJobs, cronJob({ schedule: 'every minute' }), ctx);
    expect(causes(() => validateCreate(cronJobs, bad))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.schedule',
        message:
          'Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]',
      },
    ]);
    const tz = prepareForCreate(cronJobs, cronJob({ timeZone: 'Mars/Olympus' }), ctx);
    expect(causes(() => validateCreate(cronJobs, tz))).toContainEqual(
      expect.objectContaining({ field: 'spec.timeZone' }),
    );
    const policy = prepareForCreate(cronJobs, cronJob({ concurrencyPolicy: 'Sometimes' }), ctx);
    expect(causes(() => validateCreate(cronJobs, policy))).toContainEqual(
      expect.objectContaining({ field: 'spec.concurrencyPolicy' }),
    );
  });

  it('reads schedules as cron does, in the given time zone', () => {
    const at = new Date('2025-03-10T12:34:56Z');
    expect(parseCronSchedule('*/15 * * * *').next(at)?.toISOString()).toBe(
      '2025-03-10T12:45:00.000Z',
    );
    expect(parseCronSchedule('@daily', 'Asia/Tokyo').next(at)?.toISOString()).toBe(
      '2025-03-10T15:00:00.000Z',
    );
    // Day of month and day of week both restricted: either matches (the 13th is a Thursday).
    expect(parseCronSchedule('0 0 13 * 1').next(at)?.toISOString()).toBe(
      '2025-03-13T00:00:00.000Z',
    );
    expect(() => parseCronSchedule('TZ=UTC * * * * *')).toThrow(/use timeZone field/);
  });
});
