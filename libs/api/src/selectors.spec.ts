import { findResource } from './catalog';
import type { KubeObject } from './object';
import {
  labelSelectorFromObject,
  labelSelectorToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';
import { ApiError } from './status';

const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;
const events = findResource('', 'v1', 'events')!;
const services = findResource('', 'v1', 'services')!;

const labels = { app: 'web', tier: 'front', 'example.com/rev': '3' };

function matches(text: string, l: Record<string, string> | undefined = labels): boolean {
  return matchesLabels(parseLabelSelector(text), l);
}

function badRequest(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return err as ApiError;
  }
  throw new Error('expected a 400');
}

describe('label selector text', () => {
  it('empty matches everything, including objects without labels', () => {
    expect(matches('')).toBe(true);
    expect(matches('', undefined)).toBe(true);
  });

  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['missing in (x)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['example.com/rev>2', true],
    ['example.com/rev<3', false],
    ['app=web,tier=front', true],
    ['app=web, tier=back', false],
    ['app=web,!missing,tier in (front)', true],
    ['empty=', false],
  ])('%s -> %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it('an empty value matches an empty label', () => {
    expect(matches('k=', { k: '' })).toBe(true);
  });

  it.each([
    'app in web',
    'app in (web',
    'app ~ web',
    'app=web,',
    '=web',
    'app in ()',
    'a b',
    'x>y',
    'Bad Key=1',
    'a=b c',
  ])('rejects %j with 400', (text) => {
    const err = badRequest(() => parseLabelSelector(text));
    expect(err.status.reason).toBe('BadRequest');
    expect(err.message).toMatch(/unable to parse requirement/);
  });

  it('prints the canonical form', () => {
    expect(labelSelectorToString(parseLabelSelector('tier notin (b,a),app=web,!x,y'))).toBe(
      'app=web,tier notin (a,b),!x,y',
    );
  });
});

describe('label selector objects', () => {
  it('combines matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'gone', operator: 'DoesNotExist' },
        { key: 'app', operator: 'Exists' },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
      ],
    });
    expect(matchesLabels(sel, labels)).toBe(true);
    expect(matchesLabels(sel, { app: 'web' })).toBe(false);
    expect(labelSelectorToString(labelSelectorFromObject({ matchLabels: { app: 'web' } }))).toBe(
      'app=web',
    );
  });

  it('an empty selector matches all, a missing one matches nothing', () => {
    expect(matchesLabels(labelSelectorFromObject({}), labels)).toBe(true);
    expect(matchesLabels(labelSelectorFromObject(undefined), labels)).toBe(false);
  });

  it('rejects bad expressions', () => {
    badRequest(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    );
    badRequest(() =>
      labelSelectorFromObject({
        matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }],
      }),
    );
    badRequest(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Like' }] }),
    );
  });
});

describe('field selectors', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: { nodeName: 'n1', hostNetwork: true },
    status: { phase: 'Running' },
  };

  it('matches metadata, spec and status fields of pods', () => {
    expect(matchesFields(parseFieldSelector('metadata.name=p1', pods), pod)).toBe(true);
    expect(
      matchesFields(parseFieldSelector('metadata.namespace==default,spec.nodeName=n1', pods), pod),
    ).toBe(true);
    expect(matchesFields(parseFieldSelector('status.phase!=Running', pods), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.hostNetwork=true', pods), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('', pods), pod)).toBe(true);
  });

  it('an absent field is the empty string (unscheduled pods)', () => {
    const pending = { ...pod, spec: {} };
    expect(matchesFields(parseFieldSelector('spec.nodeName=', pods), pending)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName!=', pods), pod)).toBe(true);
  });

  it('supports involvedObject fields on events', () => {
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default' },
      type: 'Normal',
      reason: 'Scheduled',
    };
    expect(
      matchesFields(
        parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=p1,type=Normal', events),
        ev,
      ),
    ).toBe(true);
    expect(matchesFields(parseFieldSelector('reason=Killing', events), ev)).toBe(false);
  });

  it('nodes select by spec.unschedulable, absent meaning false', () => {
    const node: KubeObject = { metadata: { name: 'n1' }, spec: {} };
    expect(matchesFields(parseFieldSelector('spec.unschedulable=false', nodes), node)).toBe(true);
  });

  it('unescapes values', () => {
    const weird: KubeObject = { metadata: { name: 'a,b=c', namespace: 'x' } };
    expect(matchesFields(parseFieldSelector('metadata.name=a\\,b\\=c', pods), weird)).toBe(true);
  });

  it('unsupported fields and bad syntax are 400', () => {
    expect(badRequest(() => parseFieldSelector('spec.nodeName=n1', services)).message).toBe(
      'field label not supported: spec.nodeName',
    );
    expect(badRequest(() => parseFieldSelector('metadata.namespace=x', nodes)).message).toBe(
      'field label not supported: metadata.namespace',
    );
    expect(badRequest(() => parseFieldSelector('metadata.name', pods)).message).toMatch(
      /invalid selector/,
    );
  });
});
