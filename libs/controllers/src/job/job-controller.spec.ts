// The Job controller against a real API server in process, with a stand-in kubelet that finishes
// pods as the scenario says: completions with parallelism and a failure retried, an Indexed Job,
// the back-off limit, and kubectl's `wait --for=condition=complete` condition.
import type { KubeClient, Pod, RestRequest, Transport } from '@flotilla/client';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { JobController } from './job-controller';
import {
  INDEX_FAILURE_COUNT,
  JOB_COMPLETION_INDEX,
  JOB_TRACKING_FINALIZER,
  type JobObject,
} from './job-pods';

function jobBody(name: string, spec: Record<string, unknown> = {}): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1' }] },
      },
      ...spec,
    },
  };
}

/** What a kubelet reports when a pod's containers exit. */
async function finish(
  client: KubeClient,
  pod: Pod,
  phase: 'Succeeded' | 'Failed',
  exitCode = phase === 'Succeeded' ? 0 : 1,
) {
  await client.pods('default').patchStatus(
    pod.metadata.name!,
    {
      status: {
        phase,
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            image: 'busybox:1',
            imageID: '',
            state: {
              terminated: {
                exitCode,
                finishedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            },
          },
        ],
      },
    },
    'merge',
  );
}

describe('Job controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const jobs = () => h.client.forKind<JobObject>('batch/v1', 'Job', 'default');
  const podsOf = async (job: string) =>
    (await h.client.pods('default').list({ labelSelector: `batch.kubernetes.io/job-name=${job}` }))
      .items;
  const running = async (job: string) =>
    (await podsOf(job)).filter(
      (p) => !p.status?.phase || p.status.phase === 'Pending' || p.status.phase === 'Running',
    );
  const condition = (j: JobObject, type: string) =>
    j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

  it('runs completions=5 two at a time, retries a failed pod, and completes', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(jobBody('work', { completions: 5, parallelism: 2 }));
    let failedOne = false;
    let maxActive = 0;
    const done = await waitFor(
      'the Job complete',
      async () => {
        const active = await running('work');
        maxActive = Math.max(maxActive, active.length);
        for (const p of active) {
          expect(p.metadata.finalizers).toContain(JOB_TRACKING_FINALIZER);
          await finish(h.client, p, failedOne ? 'Succeeded' : 'Failed');
          failedOne = true;
        }
        const j = await jobs().get('work');
        return condition(j, 'Complete') ? j : undefined;
      },
      30_000,
      50,
    );
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(done.status).toMatchObject({ succeeded: 5, failed: 1, active: 0 });
    expect(done.status?.completionTime).toBeDefined();
    expect(condition(done, 'Complete')).toMatchObject({ reason: 'CompletionsReached' });
    // Every pod was counted, then released.
    await waitFor('finalizers released', async () =>
      (await podsOf('work')).every(
        (p) => !(p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER),
      )
        ? true
        : undefined,
    );
  });

  it('releases the finalizer of pods whose Job was deleted, so they do not hang Terminating', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(jobBody('gone'));
    const [pod] = await waitFor('the Job has a pod', async () => {
      const pods = await podsOf('gone');
      return pods.length > 0 ? pods : undefined;
    });
    expect(pod.metadata.finalizers).toContain(JOB_TRACKING_FINALIZER);
    // What `kubectl delete job` does (background propagation): the Job goes first, the garbage
    // collector deletes the pods afterwards.
    await jobs().delete('gone');
    await h.client.pods('default').delete(pod.metadata.name!);
    await waitFor('the pod gone', async () =>
      (await podsOf('gone')).length === 0 ? true : undefined,
    );
  });

  it('gives an Indexed Job one pod per index, with the index and a stable hostname', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(
      jobBody('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }),
    );
    const pods = await waitFor('3 pods', async () => {
      const list = await running('idx');
      return list.length === 3 ? list : undefined;
    });
    const indexes = pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX]).sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata.annotations![JOB_COMPLETION_INDEX];
      expect(p.spec?.hostname).toBe(`idx-${i}`);
      expect(p.spec?.containers[0].env).toContainEqual(
        expect.objectContaining({ name: 'JOB_COMPLETION_INDEX' }),
      );
      await finish(h.client, p, 'Succeeded');
    }
    const done = await waitFor('complete', async () => {
      const j = await jobs().get('idx');
      return condition(j, 'Complete') ? j : undefined;
    });
    expect(done.status?.completedIndexes).toBe('0-2');
  });

  // The race behind a duplicate index seen once under load: a sync lists its pods from the cache,
  // then awaits a status write; meanwhile the informer sees the pod the previous sync created, so
  // the creation expectation is met by the time the sync asks, yet its pod list predates that pod.
  // The transport below lines the steps up exactly instead of hoping for the timing.
  it('never creates a second pod for an index whose pod its informer has not seen yet', async () => {
    const createdPerIndex = new Map<string, number>();
    let step: 'idle' | 'armed' | 'holding' | 'released' = 'idle';
    let controllerSawSucceeded: ((p: Pod) => boolean) | undefined;
    let heldChunks: (() => void)[] = [];
    let succeededUid = '';
    let sawIt: () => void = () => {};
    const release = () => {
      step = 'released';
      const chunks = heldChunks;
      heldChunks = [];
      for (const deliver of chunks) deliver();
    };
    const lineUp = (inner: Transport): Transport => ({
      describe: () => inner.describe(),
      close: () => inner.close(),
      request: async (req: RestRequest) => {
        const body = req.body ? JSON.parse(Buffer.from(req.body).toString()) : undefined;
        if (req.method === 'POST' && req.path.endsWith('/pods')) {
          const index = String(body?.metadata?.annotations?.[JOB_COMPLETION_INDEX]);
          createdPerIndex.set(index, (createdPerIndex.get(index) ?? 0) + 1);
          if (step === 'armed') {
            // The replacement for the failed index 1 is being created. First the other pod
            // succeeds and the controller hears of it; from the replacement's ADDED event on,
            // the controller's pod watch is held.
            const [p0] = (await running('race')).filter(
              (p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '0',
            );
            succeededUid = p0.metadata.uid!;
            const heard = new Promise<void>((resolve) => (sawIt = resolve));
            controllerSawSucceeded = (p) =>
              p.metadata.uid === succeededUid && p.status?.phase === 'Succeeded';
            await finish(h.client, p0, 'Succeeded');
            await heard;
            step = 'holding';
          }
        }
        // The next sync records the succeeded pod: while that status write is in flight, the
        // informer catches up and sees the replacement.
        if (
          step === 'holding' &&
          req.method === 'PUT' &&
          req.path.endsWith('/jobs/race/status') &&
          (body?.status?.uncountedTerminatedPods?.succeeded ?? []).includes(succeededUid)
        )
          release();
        return inner.request(req);
      },
      stream: (req, onData) =>
        inner.stream(
          req,
          req.path.endsWith('/pods')
            ? (chunk) => {
                const event = JSON.parse(chunk.toString()) as { type: string; object: Pod };
                if (step === 'holding' && (heldChunks.length > 0 || event.type === 'ADDED')) {
                  heldChunks.push(() => onData(chunk));
                  return;
                }
                onData(chunk);
                if (controllerSawSucceeded?.(event.object)) {
                  controllerSawSucceeded = undefined;
                  sawIt();
                }
              }
            : onData,
        ),
    });
    h.run([new JobController({ backoffBaseMs: 0 })], { wrap: lineUp });
    await jobs().create(
      jobBody('race', { completions: 2, parallelism: 2, completionMode: 'Indexed' }),
    );
    const pods = await waitFor('2 pods seen by the controller', async () => {
      const list = await running('race');
      return list.length === 2 && (await jobs().get('race')).status?.active === 2
        ? list
        : undefined;
    });
    step = 'armed';
    const p1 = pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '1')!;
    await finish(h.client, p1, 'Failed');
    await waitFor('the held events released', () => (step === 'released' ? true : undefined));
    const replacement = await waitFor('the replacement of index 1', async () => {
      const list = await running('race');
      return list.length > 0 ? list : undefined;
    });
    for (const p of replacement) await finish(h.client, p, 'Succeeded');
    const done = await waitFor('complete', async () => {
      const j = await jobs().get('race');
      return condition(j, 'Complete') ? j : undefined;
    });
    expect(done.status).toMatchObject({ completedIndexes: '0-1' });
    // Index 0 once; index 1 twice (the first pod failed), never three times; no duplicate was
    // deleted and counted as a failure.
    expect(Object.fromEntries(createdPerIndex)).toEqual({ '0': 1, '1': 2 });
    expect(done.status?.failed).toBe(1);
  });

  it('fails the Job with BackoffLimitExceeded once failures pass backoffLimit', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(jobBody('flaky', { backoffLimit: 1 }));
    const failed = await waitFor(
      'the Job failed',
      async () => {
        for (const p of await running('flaky')) await finish(h.client, p, 'Failed');
        const j = await jobs().get('flaky');
        return condition(j, 'Failed') ? j : undefined;
      },
      30_000,
      50,
    );
    expect(condition(failed, 'Failed')).toMatchObject({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(failed.status?.failed).toBe(2);
  });

  it('creates no pods while suspended and starts when resumed', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(jobBody('later', { suspend: true }));
    await waitFor('Suspended condition', async () => {
      const j = await jobs().get('later');
      return condition(j, 'Suspended') ? j : undefined;
    });
    expect(await podsOf('later')).toHaveLength(0);
    await jobs().patch('later', { spec: { suspend: false } }, 'merge');
    await waitFor('a pod', async () => ((await running('later')).length === 1 ? true : undefined));
    // Suspending again deletes the running pod, which is not counted as a failure.
    await jobs().patch('later', { spec: { suspend: true } }, 'merge');
    const again = await waitFor('suspended, the pod released', async () => {
      const j = await jobs().get('later');
      const pods = await podsOf('later');
      return condition(j, 'Suspended') &&
        pods.every((p) => !(p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER))
        ? j
        : undefined;
    });
    expect(again.status?.failed ?? 0).toBe(0);
    expect(again.status?.active).toBe(0);
  });
  it('fails the Job at once on a FailJob rule, whatever backoffLimit says', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(
      jobBody('policy', {
        backoffLimit: 6,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
            {
              action: 'FailJob',
              onExitCodes: { containerName: 'c', operator: 'In', values: [42] },
            },
          ],
        },
      }),
    );
    const [pod] = await waitFor('a pod', async () => {
      const list = await running('policy');
      return list.length === 1 ? list : undefined;
    });
    await finish(h.client, pod, 'Failed', 42);
    const failed = await waitFor('the Job failed', async () => {
      const j = await jobs().get('policy');
      return condition(j, 'Failed') ? j : undefined;
    });
    expect(condition(failed, 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message: `Container c for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 1`,
    });
    expect(failed.status?.failed).toBe(1);
  });
  it('gives each index its own back-off limit and fails the Job over the indexes that ran out', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(
      jobBody('per-index', {
        completions: 3,
        parallelism: 3,
        completionMode: 'Indexed',
        backoffLimitPerIndex: 1,
      }),
    );
    // Index 1 always fails; the others succeed.
    const failedJob = await waitFor(
      'the Job failed',
      async () => {
        for (const p of await running('per-index')) {
          const failing = p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '1';
          await finish(h.client, p, failing ? 'Failed' : 'Succeeded');
        }
        const j = await jobs().get('per-index');
        return condition(j, 'Failed') ? j : undefined;
      },
      30_000,
      50,
    );
    expect(condition(failedJob, 'Failed')).toMatchObject({
      reason: 'FailedIndexes',
      message: 'Job has failed indexes',
    });
    expect(condition(failedJob, 'FailureTarget')).toMatchObject({ reason: 'FailedIndexes' });
    expect(failedJob.status).toMatchObject({
      failedIndexes: '1',
      completedIndexes: '0,2',
      failed: 2,
      succeeded: 2,
    });
    // Index 1 ran twice (the limit is one retry), the second pod knowing of the first failure.
    const index1 = (await podsOf('per-index')).filter(
      (p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '1',
    );
    expect(index1.map((p) => p.metadata.annotations?.[INDEX_FAILURE_COUNT]).sort()).toEqual([
      '0',
      '1',
    ]);
  });

  it('gives an index up at once on a FailIndex rule; past maxFailedIndexes the Job fails', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(
      jobBody('fail-index', {
        completions: 4,
        parallelism: 1,
        completionMode: 'Indexed',
        backoffLimitPerIndex: 3,
        maxFailedIndexes: 0,
        podFailurePolicy: {
          rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }],
        },
      }),
    );
    const [pod] = await waitFor('a pod', async () => {
      const list = await running('fail-index');
      return list.length === 1 ? list : undefined;
    });
    await finish(h.client, pod, 'Failed', 3);
    const failedJob = await waitFor('the Job failed', async () => {
      const j = await jobs().get('fail-index');
      return condition(j, 'Failed') ? j : undefined;
    });
    expect(condition(failedJob, 'Failed')).toMatchObject({
      reason: 'MaxFailedIndexesExceeded',
      message: 'Job has exceeded the specified maximal number of failed indexes',
    });
    expect(failedJob.status).toMatchObject({ failedIndexes: '0', failed: 1 });
  });

  it('completes on its successPolicy and stops the pods still running', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(
      jobBody('leader', {
        completions: 3,
        parallelism: 3,
        completionMode: 'Indexed',
        successPolicy: { rules: [{ succeededIndexes: '0' }] },
      }),
    );
    const pods = await waitFor('3 pods', async () => {
      const list = await running('leader');
      return list.length === 3 ? list : undefined;
    });
    const leader = pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '0')!;
    await finish(h.client, leader, 'Succeeded');
    const done = await waitFor('complete', async () => {
      const j = await jobs().get('leader');
      return condition(j, 'Complete') ? j : undefined;
    });
    expect(condition(done, 'SuccessCriteriaMet')).toMatchObject({
      reason: 'SuccessPolicy',
      message: 'Matched rules at index 0',
    });
    expect(condition(done, 'Complete')).toMatchObject({ reason: 'SuccessPolicy' });
    expect(done.status).toMatchObject({ completedIndexes: '0', succeeded: 1, active: 0 });
    await waitFor('the other pods deleted', async () =>
      (await running('leader')).every((p) => p.metadata.deletionTimestamp) ? true : undefined,
    );
  });

  it('fails a Job active past activeDeadlineSeconds; deletes a finished one after its TTL', async () => {
    h.run([new JobController({ backoffBaseMs: 10 })]);
    await jobs().create(jobBody('slow', { activeDeadlineSeconds: 1 }));
    const slow = await waitFor('DeadlineExceeded', async () => {
      const j = await jobs().get('slow');
      return condition(j, 'Failed') ? j : undefined;
    });
    expect(condition(slow, 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect((await running('slow')).filter((p) => !p.metadata.deletionTimestamp)).toEqual([]);

    await jobs().create(jobBody('brief', { ttlSecondsAfterFinished: 0 }));
    const [pod] = await waitFor('a pod', async () => {
      const list = await running('brief');
      return list.length === 1 ? list : undefined;
    });
    await finish(h.client, pod, 'Succeeded');
    await waitFor('the Job deleted after completing', async () =>
      jobs()
        .get('brief')
        .then(
          () => undefined,
          (err: { code?: number }) => (err.code === 404 ? true : undefined),
        ),
    );
  });
});
