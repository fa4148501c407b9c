// batch/v1 CronJob: Jobs on a cron schedule.
import { childObject, defaultTemplate, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { validateLabels } from '../../validate-meta';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import {
  AGE,
  col,
  created,
  labelSelectorText,
  list,
  NAME,
  str,
  WORKLOAD_WIDE,
  workloadWideCells,
} from '../printing';
import { age } from '../../age';
import { resource } from '../resource';
import { isKnownTimeZone, parseCronSchedule } from './cron-schedule';
import { BATCH, validateJobSpec } from './job';

/** Job names are the CronJob's plus 11 characters of scheduled time: 63 - 11 = 52. */
const MAX_CRONJOB_NAME = 52;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

const declared = declareKind({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  package: 'k8s.io.api.batch.v1',
  prefix: BATCH,
  refs: { JobSpec: `${BATCH}JobSpec` },
  descriptions: {
    CronJob: 'CronJob represents the configuration of a single cron job.',
    CronJobSpec:
      'CronJobSpec describes how the job execution will look like and when it will actually run.',
    CronJobStatus: 'CronJobStatus represents the current state of a cron job.',
    JobTemplateSpec:
      'JobTemplateSpec describes the data a Job should have when created from a template.',
  },
  // Field tables: k8s.io/api batch/v1 generated.proto numbers, types.go pointers and omitempty.
  messages: {
    CronJob: ['1 metadata ObjectMeta', '2 spec CronJobSpec', '3 status CronJobStatus'],
    CronJobSpec: [
      '1 schedule! string',
      '8 timeZone *string',
      '2 startingDeadlineSeconds *int64',
      '3 concurrencyPolicy string',
      '4 suspend *bool',
      '5 jobTemplate! JobTemplateSpec',
      '6 successfulJobsHistoryLimit *int32',
      '7 failedJobsHistoryLimit *int32',
    ],
    JobTemplateSpec: ['1 metadata ObjectMeta', '2 spec JobSpec'],
    CronJobStatus: [
      '1 active []ObjectReference atomic',
      '4 lastScheduleTime *Time',
      '5 lastSuccessfulTime *Time',
    ],
    CronJobList: ['1 metadata ListMeta', '2 items! []CronJob'],
  },
});

/** SetDefaults_CronJob, and the pod defaults of its job template. */
function defaultCronJob(o: KubeObject): void {
  const s = childObject(o, 'spec');
  setDefault(s, 'concurrencyPolicy', 'Allow');
  setDefault(s, 'suspend', false);
  setDefault(s, 'successfulJobsHistoryLimit', 3);
  setDefault(s, 'failedJobsHistoryLimit', 1);
  const jobTemplate = s.jobTemplate;
  if (isPlainObject(jobTemplate) && isPlainObject(jobTemplate.spec))
    defaultTemplate(jobTemplate.spec);
}

function nonNegative(value: unknown, field: string, out: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
}

function validateCronJob(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const name = o.metadata.name ?? '';
  if (name.length > MAX_CRONJOB_NAME)
    out.push(
      fieldErrors.invalid(
        'metadata.name',
        name,
        `must be no more than ${MAX_CRONJOB_NAME} characters`,
      ),
    );
  const s = spec(o);
  const timeZone = s.timeZone;
  if (timeZone != null) {
    if (typeof timeZone !== 'string' || timeZone === '' || !isKnownTimeZone(timeZone))
      out.push(
        fieldErrors.invalid('spec.timeZone', timeZone, `unknown time zone ${String(timeZone)}`),
      );
  }
  if (typeof s.schedule !== 'string' || s.schedule === '') {
    out.push(fieldErrors.required('spec.schedule'));
  } else {
    try {
      parseCronSchedule(
        s.schedule,
        typeof timeZone === 'string' && isKnownTimeZone(timeZone) ? timeZone : undefined,
      );
    } catch (err) {
      out.push(fieldErrors.invalid('spec.schedule', s.schedule, (err as Error).message));
    }
  }
  const policy = s.concurrencyPolicy;
  if (policy == null || policy === '') out.push(fieldErrors.required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY_POLICIES.includes(String(policy)))
    out.push(fieldErrors.notSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));
  nonNegative(s.startingDeadlineSeconds, 'spec.startingDeadlineSeconds', out);
  nonNegative(s.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit', out);
  nonNegative(s.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit', out);
  const jobTemplate = s.jobTemplate;
  if (!isPlainObject(jobTemplate)) {
    out.push(fieldErrors.required('spec.jobTemplate'));
    return out;
  }
  if (isPlainObject(jobTemplate.metadata)) {
    validateLabels(jobTemplate.metadata.labels, 'spec.jobTemplate.metadata.labels', out);
  }
  const jobSpec = isPlainObject(jobTemplate.spec) ? jobTemplate.spec : {};
  out.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec', { selectorRequired: false }));
  return out;
}

function lastScheduleText(o: KubeObject, now: Date): string {
  const t = getPath(o, 'status.lastScheduleTime');
  return typeof t === 'string' ? age(t, now) : '<none>';
}

function suspendText(v: unknown): string {
  return v === true ? 'True' : v === false ? 'False' : '<unset>';
}

export const cronJobKind: KindModule = {
  resource: resource('batch', 'CronJob', 'cronjobs', {
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  tracksGeneration: true,
  defaults: defaultCronJob,
  prepareForCreate(o) {
    o.status = {};
  },
  validate: validateCronJob,
  printer: {
    columns: [
      NAME,
      col('Schedule', 'The schedule in cron format.'),
      col('Timezone', 'The time zone the schedule is read in.'),
      col('Suspend', 'Whether new runs are suspended.'),
      col('Active', 'The number of running jobs.', { type: 'integer' }),
      col('Last Schedule', 'When a job was last scheduled.'),
      AGE,
      ...WORKLOAD_WIDE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(getPath(o, 'spec.schedule'), ''),
      str(getPath(o, 'spec.timeZone')),
      suspendText(getPath(o, 'spec.suspend')),
      list(getPath(o, 'status.active')).length,
      lastScheduleText(o, now),
      created(o, now),
      ...workloadWideCells(o, 'spec.jobTemplate.spec.template').slice(0, 2),
      // kubectl prints the job template's selector (usually absent: generated per Job).
      labelSelectorText(getPath(o, 'spec.jobTemplate.spec.selector')),
    ],
  },
};
