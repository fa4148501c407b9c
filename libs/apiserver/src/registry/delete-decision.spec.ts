import type { KubeObject } from '@flotilla/api';
import { decideDelete, finishesDeletion } from './delete-decision';

const pods = { group: '', plural: 'pods' };
const now = new Date('2025-01-01T00:00:00Z');
const pod = (
  spec: Record<string, unknown>,
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  metadata: { name: 'p', namespace: 'd', ...meta },
  spec,
});

describe('decideDelete', () => {
  it('removes an unbound pod at once', () => {
    expect(decideDelete(pods, pod({}), {}, now)).toEqual({ kind: 'remove' });
  });

  it('marks a bound pod with its termination grace period', () => {
    const d = decideDelete(
      pods,
      pod({ nodeName: 'n1', terminationGracePeriodSeconds: 10 }),
      {},
      now,
    );
    expect(d).toMatchObject({
      kind: 'mark',
      object: {
        metadata: { deletionTimestamp: '2025-01-01T00:00:10Z', deletionGracePeriodSeconds: 10 },
      },
    });
  });

  it('removes a bound pod deleted with grace 0, and a marked one when grace is shortened to 0', () => {
    expect(decideDelete(pods, pod({ nodeName: 'n1' }), { gracePeriodSeconds: 0 }, now)).toEqual({
      kind: 'remove',
    });
    const marked = pod(
      { nodeName: 'n1' },
      { deletionTimestamp: 'x', deletionGracePeriodSeconds: 30 },
    );
    expect(decideDelete(pods, marked, { gracePeriodSeconds: 0 }, now)).toEqual({ kind: 'remove' });
    expect(decideDelete(pods, marked, {}, now)).toEqual({ kind: 'unchanged' });
  });

  it('keeps objects with finalizers, marked', () => {
    const cm = { metadata: { name: 'c', finalizers: ['x/y'] } };
    const d = decideDelete({ group: '', plural: 'configmaps' }, cm, {}, now);
    expect(d).toMatchObject({
      kind: 'mark',
      object: { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } },
    });
    if (d.kind === 'mark') {
      const configmaps = { group: '', plural: 'configmaps' };
      expect(finishesDeletion(configmaps, d.object)).toBe(false);
      expect(
        finishesDeletion(configmaps, {
          ...d.object,
          metadata: { ...d.object.metadata, finalizers: [] },
        }),
      ).toBe(true);
    }
  });

  it('turns a namespace Terminating', () => {
    const d = decideDelete(
      { group: '', plural: 'namespaces' },
      { metadata: { name: 'n' }, status: { phase: 'Active' } },
      {},
      now,
    );
    expect(d).toMatchObject({ kind: 'mark', object: { status: { phase: 'Terminating' } } });
  });

  describe('a terminating namespace', () => {
    const namespaces = { group: '', plural: 'namespaces' };
    const terminating = (finalizers: string[] | undefined): KubeObject => ({
      metadata: { name: 'n', deletionTimestamp: 'x', deletionGracePeriodSeconds: 0 },
      spec: finalizers === undefined ? {} : { finalizers },
      status: { phase: 'Terminating' },
    });

    it('stays while spec.finalizers holds the kubernetes finalizer, whatever is written to it', () => {
      expect(finishesDeletion(namespaces, terminating(['kubernetes']))).toBe(false);
      expect(decideDelete(namespaces, terminating(['kubernetes']), {}, now)).toEqual({
        kind: 'unchanged',
      });
    });

    it('goes once finalized: on the finalize write, or on a later delete', () => {
      expect(finishesDeletion(namespaces, terminating([]))).toBe(true);
      expect(finishesDeletion(namespaces, terminating(undefined))).toBe(true);
      expect(decideDelete(namespaces, terminating([]), {}, now)).toEqual({ kind: 'remove' });
    });
  });
});

describe('decideDelete with a propagation policy', () => {
  const rs = { group: 'apps', plural: 'replicasets' };
  const obj = (meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
    metadata: { name: 'r', namespace: 'd', generation: 3, ...meta },
  });

  it('Background (and no policy) removes an object without finalizers at once', () => {
    expect(decideDelete(rs, obj(), { propagationPolicy: 'Background' }, now)).toEqual({
      kind: 'remove',
    });
    expect(decideDelete(rs, obj(), {}, now)).toEqual({ kind: 'remove' });
  });

  it('Orphan and Foreground keep it, marked, with their finalizer, and move its generation on', () => {
    for (const [policy, finalizer] of [
      ['Orphan', 'orphan'],
      ['Foreground', 'foregroundDeletion'],
    ] as const) {
      const d = decideDelete(
        rs,
        obj({ finalizers: ['x.io/keep'] }),
        { propagationPolicy: policy },
        now,
      );
      expect(d).toMatchObject({
        kind: 'mark',
        object: {
          metadata: {
            deletionTimestamp: '2025-01-01T00:00:00Z',
            deletionGracePeriodSeconds: 0,
            finalizers: ['x.io/keep', finalizer],
            generation: 4,
          },
        },
      });
    }
  });

  it('a later DELETE may change the policy of an object waiting for its finalizers', () => {
    const waiting = obj({
      deletionTimestamp: 'x',
      deletionGracePeriodSeconds: 0,
      finalizers: ['orphan'],
    });
    expect(decideDelete(rs, waiting, { propagationPolicy: 'Foreground' }, now)).toMatchObject({
      kind: 'mark',
      object: { metadata: { finalizers: ['foregroundDeletion'] } },
    });
    expect(decideDelete(rs, waiting, { propagationPolicy: 'Background' }, now)).toEqual({
      kind: 'remove',
    });
    expect(decideDelete(rs, waiting, {}, now)).toEqual({ kind: 'unchanged' });
  });

  it('events take no policy', () => {
    const ev = { group: '', plural: 'events' };
    expect(decideDelete(ev, obj(), { propagationPolicy: 'Orphan' }, now)).toEqual({
      kind: 'remove',
    });
  });
});
