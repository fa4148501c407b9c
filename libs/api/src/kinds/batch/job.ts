// batch/v1 Job: run pods to completion.
import { childObject, defaultTemplate, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { JsonObject, KubeObject } from '../../object';
import { cloneJson, getPath, isPlainObject, jsonEqual } from '../../object';
import { labelSelectorFromObject, matchesLabels } from '../../selectors';
import type { StatusCause } from '../../status';
import { isApiError } from '../../status';
import { validateLabels } from '../../validate-meta';
import { validatePodSpec } from '../../validate-pod';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { AGE, col, created, list, NAME, num, WORKLOAD_WIDE, workloadWideCells } from '../printing';
import { humanDuration } from '../../age';
import { resource } from '../resource';

export const BATCH = 'io.k8s.api.batch.v1.';
/** The labels a Job's generated selector uses (and the legacy ones pods also get). */
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** Pods carry it until the Job controller has counted them. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const MAX_INDEXED_PARALLELISM = 100_000;
const MAX_INT32 = 2 ** 31 - 1;
const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const POD_REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'];

const declared = declareKind({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  package: 'k8s.io.api.batch.v1',
  prefix: BATCH,
  descriptions: {
    Job: 'Job represents the configuration of a single job.',
    JobSpec: 'JobSpec describes how the job execution will look like.',
    JobStatus: 'JobStatus represents the current state of a Job.',
  },
  // Field tables: k8s.io/api batch/v1 generated.proto numbers, types.go pointers and omitempty.
  messages: {
    Job: ['1 metadata ObjectMeta', '2 spec JobSpec', '3 status JobStatus'],
    JobSpec: [
      '1 parallelism *int32',
      '2 completions *int32',
      '3 activeDeadlineSeconds *int64',
      '11 podFailurePolicy *PodFailurePolicy',
      '16 successPolicy *SuccessPolicy',
      '7 backoffLimit *int32',
      '12 backoffLimitPerIndex *int32',
      '13 maxFailedIndexes *int32',
      '4 selector *LabelSelector',
      '5 manualSelector *bool',
      '6 template! PodTemplateSpec',
      '8 ttlSecondsAfterFinished *int32',
      '9 completionMode *string',
      '10 suspend *bool',
      '14 podReplacementPolicy *string',
      '15 managedBy *string',
    ],
    JobStatus: [
      '1 conditions []JobCondition merge=type atomic',
      '2 startTime *Time',
      '3 completionTime *Time',
      '4 active int32',
      '5 succeeded int32',
      '6 failed int32',
      '11 terminating *int32',
      '7 completedIndexes string',
      '10 failedIndexes *string',
      '8 uncountedTerminatedPods *UncountedTerminatedPods',
      '9 ready *int32',
    ],
    JobCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastProbeTime Time',
      '4 lastTransitionTime Time',
      '5 reason string',
      '6 message string',
    ],
    PodFailurePolicy: ['1 rules! []PodFailurePolicyRule atomic'],
    PodFailurePolicyRule: [
      '1 action! string',
      '2 onExitCodes *PodFailurePolicyOnExitCodesRequirement',
      '3 onPodConditions []PodFailurePolicyOnPodConditionsPattern atomic',
    ],
    PodFailurePolicyOnExitCodesRequirement: [
      '1 containerName *string',
      '2 operator! string',
      '3 values! []int32 set',
    ],
    PodFailurePolicyOnPodConditionsPattern: ['1 type! string', '2 status! string'],
    SuccessPolicy: ['1 rules! []SuccessPolicyRule atomic'],
    SuccessPolicyRule: ['1 succeededIndexes *string', '2 succeededCount *int32'],
    UncountedTerminatedPods: ['1 succeeded []string set', '2 failed []string set'],
    JobList: ['1 metadata ListMeta', '2 items! []Job'],
  },
});

export const JOB_DEFINITIONS = declared.definitions;

/** SetDefaults_Job. */
export function defaultJob(o: KubeObject): void {
  const s = childObject(o, 'spec');
  if (s.completions == null && s.parallelism == null) {
    s.completions = 1;
    s.parallelism = 1;
  }
  setDefault(s, 'parallelism', 1);
  setDefault(s, 'backoffLimit', s.backoffLimitPerIndex != null ? MAX_INT32 : 6);
  setDefault(s, 'completionMode', 'NonIndexed');
  setDefault(s, 'suspend', false);
  setDefault(
    s,
    'podReplacementPolicy',
    s.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed',
  );
  for (const rule of list(getPath(s, 'podFailurePolicy.rules')))
    for (const c of list(rule.onPodConditions)) setDefault(c, 'status', 'True');
  const templateLabels = getPath(s, 'template.metadata.labels');
  if (isPlainObject(templateLabels) && Object.keys(o.metadata.labels ?? {}).length === 0)
    o.metadata.labels = { ...(templateLabels as Record<string, string>) };
  defaultTemplate(s);
}

/** The selector and template labels a Job gets unless it asks for a manual selector. */
export function generateJobSelector(o: KubeObject): void {
  const s = childObject(o, 'spec');
  if (s.manualSelector === true) return;
  const uid = o.metadata.uid ?? '';
  const name = o.metadata.name ?? '';
  const template = childObject(s, 'template');
  const meta = childObject(template, 'metadata');
  const labels = childObject(meta, 'labels');
  setDefault(labels, LEGACY_JOB_NAME_LABEL, name);
  setDefault(labels, JOB_NAME_LABEL, name);
  setDefault(labels, LEGACY_CONTROLLER_UID_LABEL, uid);
  setDefault(labels, CONTROLLER_UID_LABEL, uid);
  const selector = childObject(s, 'selector');
  setDefault(childObject(selector, 'matchLabels'), CONTROLLER_UID_LABEL, uid);
}

function nonNegative(value: unknown, field: string, out: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
}

/** ValidateJobSpec, for Jobs (`at` = 'spec') and CronJob job templates. */
export function validateJobSpec(
  s: JsonObject,
  at: string,
  opts: { selectorRequired: boolean },
): StatusCause[] {
  const out: StatusCause[] = [];
  nonNegative(s.parallelism, `${at}.parallelism`, out);
  nonNegative(s.completions, `${at}.completions`, out);
  nonNegative(s.activeDeadlineSeconds, `${at}.activeDeadlineSeconds`, out);
  nonNegative(s.backoffLimit, `${at}.backoffLimit`, out);
  nonNegative(s.backoffLimitPerIndex, `${at}.backoffLimitPerIndex`, out);
  nonNegative(s.maxFailedIndexes, `${at}.maxFailedIndexes`, out);
  nonNegative(s.ttlSecondsAfterFinished, `${at}.ttlSecondsAfterFinished`, out);
  const mode = s.completionMode ?? 'NonIndexed';
  if (!COMPLETION_MODES.includes(String(mode)))
    out.push(fieldErrors.notSupported(`${at}.completionMode`, mode, COMPLETION_MODES));
  if (mode === 'Indexed') {
    if (s.completions == null)
      out.push(fieldErrors.required(`${at}.completions`, 'when completion mode is Indexed'));
    if (typeof s.parallelism === 'number' && s.parallelism > MAX_INDEXED_PARALLELISM)
      out.push(
        fieldErrors.invalid(
          `${at}.parallelism`,
          s.parallelism,
          `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`,
        ),
      );
  } else {
    for (const k of ['backoffLimitPerIndex', 'maxFailedIndexes'])
      if (s[k] != null)
        out.push(fieldErrors.invalid(`${at}.${k}`, s[k], 'requires indexed completion mode'));
  }
  if (s.successPolicy != null) {
    if (mode !== 'Indexed')
      out.push(
        fieldErrors.invalid(
          `${at}.successPolicy`,
          s.successPolicy,
          'requires indexed completion mode',
        ),
      );
    else out.push(...validateSuccessPolicy(s, `${at}.successPolicy`));
  }
  if (
    s.podReplacementPolicy != null &&
    !POD_REPLACEMENT_POLICIES.includes(String(s.podReplacementPolicy))
  )
    out.push(
      fieldErrors.notSupported(
        `${at}.podReplacementPolicy`,
        s.podReplacementPolicy,
        POD_REPLACEMENT_POLICIES,
      ),
    );
  const template = isPlainObject(s.template) ? s.template : undefined;
  const selector = s.selector;
  if (selector == null) {
    if (opts.selectorRequired) out.push(fieldErrors.required(`${at}.selector`));
  } else if (isPlainObject(selector)) {
    validateLabels(selector.matchLabels, `${at}.selector.matchLabels`, out);
    const templateLabels = isPlainObject(template?.metadata) ? template.metadata.labels : undefined;
    try {
      const sel = labelSelectorFromObject(
        selector as Parameters<typeof labelSelectorFromObject>[0],
      );
      if (!matchesLabels(sel, templateLabels as Record<string, string> | undefined))
        out.push(
          fieldErrors.invalid(
            `${at}.template.metadata.labels`,
            templateLabels ?? {},
            '`selector` does not match template `labels`',
          ),
        );
    } catch (err) {
      if (!isApiError(err)) throw err;
      out.push(fieldErrors.invalid(`${at}.selector`, selector, err.message));
    }
  }
  if (!template) {
    out.push(fieldErrors.required(`${at}.template`));
    return out;
  }
  if (isPlainObject(template.metadata))
    validateLabels(template.metadata.labels, `${at}.template.metadata.labels`, out);
  out.push(...validatePodSpec(template.spec, `${at}.template.spec`));
  const restart = isPlainObject(template.spec) ? template.spec.restartPolicy : undefined;
  if (restart !== 'OnFailure' && restart !== 'Never')
    out.push(
      fieldErrors.notSupported(`${at}.template.spec.restartPolicy`, restart ?? '', [
        'OnFailure',
        'Never',
      ]),
    );
  const policy = s.podFailurePolicy;
  if (isPlainObject(policy)) {
    if (restart !== 'Never')
      out.push(
        fieldErrors.invalid(
          `${at}.template.spec.restartPolicy`,
          restart ?? '',
          'only "Never" is supported when podFailurePolicy is specified',
        ),
      );
    list(policy.rules).forEach((rule, i) => {
      const rf = `${at}.podFailurePolicy.rules[${i}]`;
      if (rule.action === 'FailIndex' && s.backoffLimitPerIndex == null)
        out.push(
          fieldErrors.invalid(
            `${rf}.action`,
            rule.action,
            'requires the backoffLimitPerIndex to be set',
          ),
        );
      else if (!FAILURE_ACTIONS.includes(String(rule.action)))
        out.push(fieldErrors.notSupported(`${rf}.action`, rule.action ?? '', FAILURE_ACTIONS));
      const hasCodes = rule.onExitCodes != null;
      const hasConditions = Array.isArray(rule.onPodConditions) && rule.onPodConditions.length > 0;
      if (hasCodes === hasConditions)
        out.push(
          fieldErrors.invalid(
            rf,
            rule,
            'specifying one of OnExitCodes and OnPodConditions is required',
          ),
        );
      if (isPlainObject(rule.onExitCodes)) {
        const operators = ['In', 'NotIn'];
        if (!operators.includes(String(rule.onExitCodes.operator)))
          out.push(
            fieldErrors.notSupported(
              `${rf}.onExitCodes.operator`,
              rule.onExitCodes.operator ?? '',
              operators,
            ),
          );
        const values = rule.onExitCodes.values;
        if (!Array.isArray(values) || values.length === 0)
          out.push(
            fieldErrors.required(`${rf}.onExitCodes.values`, 'at least one value is required'),
          );
      }
    });
  }
  return out;
}

/** "1,3-5": what succeededIndexes and completedIndexes look like, within [0, completions). */
function indexesError(text: string, completions: number): string | undefined {
  let last = -1;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `cannot convert string to integer for index: ${JSON.stringify(part)}`;
    const first = Number(m[1]);
    const end = m[2] === undefined ? first : Number(m[2]);
    if (end < first) return `non-increasing order, previous: ${first}, current: ${end}`;
    if (first <= last) return `non-increasing order, previous: ${last}, current: ${first}`;
    if (end >= completions) return `too large index: ${end}`;
    last = end;
  }
  return undefined;
}

function validateSuccessPolicy(s: JsonObject, at: string): StatusCause[] {
  const out: StatusCause[] = [];
  const rules = list(getPath(s, 'successPolicy.rules'));
  if (rules.length === 0)
    out.push(
      fieldErrors.required(
        `${at}.rules`,
        'at least one rules must be specified when the successPolicy is specified',
      ),
    );
  const completions = typeof s.completions === 'number' ? s.completions : 0;
  rules.forEach((rule, i) => {
    const rf = `${at}.rules[${i}]`;
    if (rule.succeededCount == null && rule.succeededIndexes == null)
      out.push(
        fieldErrors.required(
          rf,
          'at least one of succeededCount or succeededIndexes must be specified',
        ),
      );
    if (typeof rule.succeededIndexes === 'string') {
      const err = indexesError(rule.succeededIndexes, completions);
      if (err)
        out.push(
          fieldErrors.invalid(
            `${rf}.succeededIndexes`,
            rule.succeededIndexes,
            `error parsing succeededIndexes: ${err}`,
          ),
        );
    }
    if (typeof rule.succeededCount === 'number') {
      nonNegative(rule.succeededCount, `${rf}.succeededCount`, out);
      if (rule.succeededCount > completions)
        out.push(
          fieldErrors.invalid(
            `${rf}.succeededCount`,
            rule.succeededCount,
            `must be less than or equal to ${completions} (the number of specified completions)`,
          ),
        );
    }
  });
  return out;
}

function validateJob(o: KubeObject): StatusCause[] {
  const s = spec(o);
  const out = validateJobSpec(s, 'spec', { selectorRequired: true });
  if (s.manualSelector !== true && isPlainObject(s.selector)) {
    const generated = { matchLabels: { [CONTROLLER_UID_LABEL]: o.metadata.uid ?? '' } };
    if (!jsonEqual(s.selector, generated))
      out.push(fieldErrors.invalid('spec.selector', s.selector, '`selector` not auto-generated'));
  }
  return out;
}

/** Scheduling directives a suspended Job that never started may still change. */
const MUTABLE_WHILE_SUSPENDED = ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'];

function templateForCompare(template: unknown, mutable: boolean): unknown {
  if (!mutable || !isPlainObject(template)) return template;
  const t = cloneJson(template);
  delete t.metadata;
  if (isPlainObject(t.spec)) for (const k of MUTABLE_WHILE_SUSPENDED) delete t.spec[k];
  return t;
}

function immutable(next: JsonObject, prev: JsonObject, key: string, out: StatusCause[]): void {
  if (!jsonEqual(next[key], prev[key]))
    out.push(fieldErrors.invalid(`spec.${key}`, next[key] ?? null, 'field is immutable'));
}

function validateJobUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const n = spec(next);
  const p = spec(prev);
  const elastic =
    n.completionMode === 'Indexed' &&
    n.completions === n.parallelism &&
    p.completions === p.parallelism;
  if (!elastic) immutable(n, p, 'completions', out);
  immutable(n, p, 'selector', out);
  immutable(n, p, 'completionMode', out);
  immutable(n, p, 'podFailurePolicy', out);
  immutable(n, p, 'backoffLimitPerIndex', out);
  const neverStarted = p.suspend === true && getPath(prev, 'status.startTime') == null;
  if (
    !jsonEqual(
      templateForCompare(n.template, neverStarted),
      templateForCompare(p.template, neverStarted),
    )
  )
    out.push(fieldErrors.invalid('spec.template', n.template ?? null, 'field is immutable'));
  return out;
}

function hasCondition(o: KubeObject, type: string): boolean {
  return list(getPath(o, 'status.conditions')).some((c) => c.type === type && c.status === 'True');
}

/** kubectl's STATUS column of a Job. */
export function jobStatusText(o: KubeObject): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completionsText(o: KubeObject): string {
  const s = spec(o);
  const succeeded = num(getPath(o, 'status.succeeded'));
  if (typeof s.completions === 'number') return `${succeeded}/${s.completions}`;
  if (typeof s.parallelism === 'number' && s.parallelism > 1)
    return `${succeeded}/1 of ${s.parallelism}`;
  return `${succeeded}/1`;
}

function durationText(o: KubeObject, now: Date): string {
  const start = Date.parse(String(getPath(o, 'status.startTime') ?? ''));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(String(getPath(o, 'status.completionTime') ?? ''));
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

export const jobKind: KindModule = {
  resource: resource('batch', 'Job', 'jobs', { categories: ['all'], subresources: ['status'] }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  tracksGeneration: true,
  defaults: defaultJob,
  prepareForCreate(o) {
    const s = childObject(o, 'spec');
    setDefault(s, 'manualSelector', false);
    generateJobSelector(o);
    o.status = {};
  },
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  selectableFields: ['status.successful'],
  fieldValue: (o, field) =>
    field === 'status.successful' ? String(num(getPath(o, 'status.succeeded'))) : undefined,
  printer: {
    columns: [
      NAME,
      col('Status', 'Status of the job.'),
      col('Completions', 'The completed job pods out of those wanted.'),
      col('Duration', 'Time the job took (or has taken so far) to complete.'),
      AGE,
      ...WORKLOAD_WIDE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      jobStatusText(o),
      completionsText(o),
      durationText(o, now),
      created(o, now),
      ...workloadWideCells(o),
    ],
  },
};
