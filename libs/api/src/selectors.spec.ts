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

  // The messages are k8s.io/apimachinery/pkg/labels' own.
  it.each([
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (web', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['app ~ web', "unable to parse requirement: found '~', expected: in, notin, =, ==, !=, gt, lt"],
    ['app=web,', "found '', expected: identifier after ','"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    [
      'x>y',
      "unable to parse requirement: values[0]: Invalid value: \"y\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
    [
      'Bad Key=1',
      "unable to parse requirement: found 'Key', expected: in, notin, =, ==, !=, gt, lt",
    ],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a===b', "unable to parse requirement: found '=', expected: identifier"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    [
      'a=b@',
      'unable to parse requirement: values[0][a]: Invalid value: "b@": a valid label must be',
    ],
    ['-a', 'unable to parse requirement: Invalid value: "-a": name part must consist of'],
  ])('rejects %j with 400: %s', (text, message) => {
    const err = badRequest(() => parseLabelSelector(text));
    expect(err.status.reason).toBe('BadRequest');
    expect(err.message.startsWith(message)).toBe(true);
  });

  it('reads "in" and "notin" as a key or a value where no operator can stand', () => {
    expect(matches('in', { in: 'x' })).toBe(true);
    expect(matches('notin in (in,notin)', { notin: 'in' })).toBe(true);
    expect(matches('a=notin', { a: 'notin' })).toBe(true);
  });

  it('reads "()" and empty items of a set as the empty value', () => {
    expect(matches('k in ()', { k: '' })).toBe(true);
    expect(matches('k in ()', { k: 'x' })).toBe(false);
    expect(matches('k in (,x)', { k: '' })).toBe(true);
    expect(matches('k in (x,)', { k: '' })).toBe(true);
    expect(matches('k in (x,,y)', { k: '' })).toBe(true);
    expect(matches('k in (x,y)', { k: '' })).toBe(false);
  });

  it('keeps requirements sorted by key and values as a sorted set, as Kubernetes does', () => {
    expect(parseLabelSelector('z=1,a in (c,b,c),m').requirements).toEqual([
      { key: 'a', operator: 'In', values: ['b', 'c'] },
      { key: 'm', operator: 'Exists', values: [] },
      { key: 'z', operator: 'Equals', values: ['1'] },
    ]);
  });

  it('separates tokens by ASCII white space only', () => {
    expect(matches('a\t=\nb', { a: 'b' })).toBe(true);
    // A no-break space is part of an identifier, which then is not a valid key.
    badRequest(() => parseLabelSelector('a\u00a0=b'));
  });

  it('bounds the text as Kubernetes bounds request headers (1 MiB)', () => {
    const err = badRequest(() => parseLabelSelector(`k in (${'v,'.repeat(600_000)}v)`));
    expect(err.message).toContain('longer than 1048576 bytes');
  });

  it('parses and matches a set of 100 000 values in linear time', () => {
    // Quadratic matching (a list scan per object) would take minutes here; a set takes milliseconds.
    const values = Array.from({ length: 100_000 }, (_, i) => `v${i}`);
    const sel = parseLabelSelector(`k in (${values.join(',')})`);
    let matched = 0;
    for (let i = 0; i < 100_000; i++) if (matchesLabels(sel, { k: `w${i}` })) matched++;
    expect(matched).toBe(0);
    expect(matchesLabels(sel, { k: 'v99999' })).toBe(true);
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

  it.each([
    ['spec.nodeName===', 'invalid field selector: unescaped character in value: 61'],
    ['spec.nodeName=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['spec.nodeName=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['spec.nodeName=a\\', 'invalid field selector: invalid escape sequence: \\'],
    [' spec.nodeName=a', 'field label not supported:  spec.nodeName'],
    ['=a', 'field label not supported: '],
  ])('%j is a 400 as Kubernetes reads it: %s', (text, message) => {
    expect(badRequest(() => parseFieldSelector(text, pods)).message).toBe(message);
  });

  it('skips empty terms and keeps "==" and "!=" whole', () => {
    const sel = parseFieldSelector(',spec.nodeName==n1,,status.phase!=Failed,', pods);
    expect(sel.requirements).toEqual([
      { field: 'spec.nodeName', operator: 'Equals', value: 'n1' },
      { field: 'status.phase', operator: 'NotEquals', value: 'Failed' },
    ]);
    expect(matchesFields(sel, pod)).toBe(true);
  });

  it('parses a selector of 40 000 terms in linear time', () => {
    const text = Array.from({ length: 40_000 }, (_, i) => `metadata.name!=p${i}`).join(',');
    expect(parseFieldSelector(text, pods).requirements).toHaveLength(40_000);
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
