import { findResource } from '../catalog';
import {
  fieldElement as f,
  FieldSet,
  keyElement as k,
  pathText,
  valueElement as v,
} from './field-set';
import { fieldShape, listTypeOf, rootShape } from './shape';
import { ApplyShapeError, compareValues, fieldSetOf, mergeValues, removeFields } from './typed';

const deployments = findResource('apps', 'v1', 'deployments')!;
const pods = findResource('', 'v1', 'pods')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const DEPLOY = rootShape(deployments);
const POD = rootShape(pods);

const texts = (s: FieldSet) => s.paths().map(pathText);

describe('shapes', () => {
  const CORE = 'io.k8s.api.core.v1.';
  it.each([
    [`${CORE}PodSpec`, 'containers', { type: 'map', keys: ['name'] }],
    [
      `${CORE}Container`,
      'ports',
      { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } },
    ],
    [`${CORE}Container`, 'env', { type: 'map', keys: ['name'] }],
    [`${CORE}Container`, 'args', { type: 'atomic' }],
    [`${CORE}PodSpec`, 'tolerations', { type: 'atomic' }],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers', { type: 'set' }],
    ['io.k8s.api.core.v1.Pod', 'conditions', { type: 'map', keys: ['type'] }, true],
  ])('%s.%s is %j', (owner, field, type, status = false) => {
    expect(listTypeOf(owner as string, field as string, status as boolean)).toEqual(type);
  });

  it('walks into the pod template, and stops at atomic structs and maps', () => {
    const spec = fieldShape(DEPLOY, 'spec');
    expect(spec).toEqual({ kind: 'struct', def: 'io.k8s.api.apps.v1.DeploymentSpec' });
    expect(fieldShape(spec, 'selector')).toEqual({ kind: 'atomic' });
    expect(fieldShape(fieldShape(POD, 'spec'), 'nodeSelector')).toEqual({ kind: 'atomic' });
    expect(fieldShape(fieldShape(POD, 'metadata'), 'labels').kind).toBe('map');
    expect(fieldShape(POD, 'status')).toEqual({ kind: 'status', of: 'io.k8s.api.core.v1.Pod' });
    expect(fieldShape(rootShape(configmaps), 'data').kind).toBe('map');
  });
});

const deployment = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    ...extra,
  },
});

describe('fieldSetOf (what an applied configuration owns)', () => {
  it('owns scalars, atomic values, list items and the fields inside them', () => {
    const set = fieldSetOf(
      deployment([{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], args: ['-v'] }]),
      DEPLOY,
    );
    expect(texts(set)).toEqual([
      '.apiVersion',
      '.kind',
      '.metadata.labels.app',
      '.metadata.name',
      '.spec.replicas',
      '.spec.selector',
      '.spec.template.metadata.labels.app',
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].args',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
    ]);
  });

  it('owns items of set-like lists by value', () => {
    const set = fieldSetOf({ metadata: { finalizers: ['a/b', 'c/d'] } }, POD);
    expect(texts(set)).toEqual(['.metadata.finalizers[="a/b"]', '.metadata.finalizers[="c/d"]']);
  });

  it('owns empty objects and lists as values', () => {
    const set = fieldSetOf(
      { spec: { containers: [{ name: 'a', resources: {} }], volumes: [] } },
      POD,
    );
    expect(texts(set)).toContain('.spec.containers[name="a"].resources');
    expect(texts(set)).toContain('.spec.volumes');
  });

  it.each([
    [{ spec: { containers: [{ image: 'x' }] } }, 'omits key field "name"'],
    [{ spec: { containers: [{ name: 'a' }, { name: 'a' }] } }, 'duplicate entries for key'],
    [{ spec: { containers: ['a'] } }, 'expected a map'],
  ])('refuses %j', (config, message) => {
    expect(() => fieldSetOf(config, POD)).toThrow(ApplyShapeError);
    expect(() => fieldSetOf(config, POD)).toThrow(message);
  });
});

describe('compareValues', () => {
  const cases: [string, unknown, unknown, string[], string[], string[]][] = [
    ['a changed scalar', { data: { a: '1' } }, { data: { a: '2' } }, [], ['.data.a'], []],
    ['a new map key', { data: { a: '1' } }, { data: { a: '1', b: '2' } }, ['.data.b'], [], []],
    ['a removed map key', { data: { a: '1', b: '2' } }, { data: { a: '1' } }, [], [], ['.data.b']],
    ['a new map, itself and its keys', {}, { data: { a: '1' } }, ['.data', '.data.a'], [], []],
    ['nothing', { data: { a: '1' } }, { data: { a: '1' } }, [], [], []],
    ['empty to empty', { data: {} }, { data: {} }, [], [], []],
  ];
  it.each(cases)('%s', (_, lhs, rhs, added, modified, removed) => {
    const c = compareValues(lhs, rhs, rootShape(configmaps));
    expect(texts(c.added)).toEqual(added);
    expect(texts(c.modified)).toEqual(modified);
    expect(texts(c.removed)).toEqual(removed);
  });

  it('matches associative list items by key, wherever they are', () => {
    const before = deployment([
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ]);
    const after = deployment([
      { name: 'b', image: 'y2' },
      { name: 'c', image: 'z' },
    ]);
    const c = compareValues(before, after, DEPLOY);
    const containers = '.spec.template.spec.containers';
    expect(texts(c.modified)).toEqual([`${containers}[name="b"].image`]);
    expect(texts(c.added)).toEqual([
      `${containers}[name="c"]`,
      `${containers}[name="c"].image`,
      `${containers}[name="c"].name`,
    ]);
    expect(texts(c.removed)).toEqual([
      `${containers}[name="a"]`,
      `${containers}[name="a"].image`,
      `${containers}[name="a"].name`,
    ]);
  });

  it('treats an atomic list as one value', () => {
    const c = compareValues(
      { spec: { tolerations: [{ key: 'a' }] } },
      { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } },
      POD,
    );
    expect(texts(c.modified)).toEqual(['.spec.tolerations']);
  });

  it('matches live items without their keys by position, without failing', () => {
    const c = compareValues(
      { spec: { containers: [{ image: 'a' }] } },
      { spec: { containers: [{ image: 'b' }] } },
      POD,
    );
    expect(texts(c.modified)).toEqual(['.spec.containers[0].image']);
  });
});

describe('mergeValues', () => {
  it('sets what the configuration has and keeps the rest', () => {
    const live = { metadata: { labels: { a: '1', b: '2' } }, data: { x: '1' } };
    const merged = mergeValues(
      live,
      { metadata: { labels: { b: '3', c: '4' } } },
      rootShape(configmaps),
    );
    expect(merged).toEqual({ metadata: { labels: { a: '1', b: '3', c: '4' } }, data: { x: '1' } });
  });

  it('removes a field the configuration sets to null', () => {
    expect(
      mergeValues({ data: { a: '1', b: '2' } }, { data: { a: null } }, rootShape(configmaps)),
    ).toEqual({ data: { b: '2' } });
  });

  it('merges containers by name and ports by port and protocol (TCP when left out)', () => {
    const live = deployment([
      {
        name: 'web',
        image: 'nginx:1',
        ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
      },
      { name: 'sidecar', image: 'busybox' },
    ]);
    const merged = mergeValues(
      live,
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'nginx:2',
                  ports: [{ containerPort: 80 }, { containerPort: 443 }],
                },
              ],
            },
          },
        },
      },
      DEPLOY,
    ) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers).toEqual([
      {
        name: 'web',
        image: 'nginx:2',
        ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }],
      },
      { name: 'sidecar', image: 'busybox' },
    ]);
  });

  it('puts named items in the configuration order and keeps the others in place', () => {
    const live = deployment([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const merged = mergeValues(
      live,
      {
        spec: { template: { spec: { containers: [{ name: 'c' }, { name: 'x' }, { name: 'a' }] } } },
      },
      DEPLOY,
    ) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers.map((c) => (c as { name: string }).name)).toEqual([
      'c',
      'b',
      'x',
      'a',
    ]);
  });

  it('unions set-like lists and replaces atomic ones', () => {
    const live = { metadata: { finalizers: ['a', 'b'] }, spec: { tolerations: [{ key: 'x' }] } };
    expect(
      mergeValues(
        live,
        { metadata: { finalizers: ['c', 'a'] }, spec: { tolerations: [{ key: 'y' }] } },
        POD,
      ),
    ).toEqual({ metadata: { finalizers: ['c', 'a', 'b'] }, spec: { tolerations: [{ key: 'y' }] } });
  });

  it('replaces atomic structs as a whole', () => {
    const live = deployment([], { selector: { matchLabels: { app: 'web', tier: 'x' } } });
    const merged = mergeValues(
      live,
      { spec: { selector: { matchLabels: { app: 'web' } } } },
      DEPLOY,
    ) as ReturnType<typeof deployment>;
    expect(merged.spec.selector).toEqual({ matchLabels: { app: 'web' } });
  });
});

describe('removeFields', () => {
  const shape = rootShape(configmaps);
  it('removes fields nobody keeps, and maps left empty by it', () => {
    const live = { metadata: { labels: { a: '1' } }, data: { x: '1', y: '2' } };
    const remove = FieldSet.of([f('metadata'), f('labels'), f('a')], [f('data'), f('x')]);
    expect(removeFields(live, shape, remove, new FieldSet())).toEqual({ data: { y: '2' } });
  });

  it('keeps a field another manager owns', () => {
    const live = { data: { x: '1', y: '2' } };
    const remove = FieldSet.of([f('data'), f('x')], [f('data'), f('y')]);
    const keep = FieldSet.of([f('data'), f('y')]);
    expect(removeFields(live, shape, remove, keep)).toEqual({ data: { y: '2' } });
  });

  it('removes a list item unless another manager owns the item itself; keys stay with it', () => {
    const live = deployment([
      { name: 'a', image: 'x', args: ['1'] },
      { name: 'b', image: 'y' },
    ]);
    const c = (name: string, ...rest: string[]) => [
      f('spec'),
      f('template'),
      f('spec'),
      f('containers'),
      k({ name }),
      ...rest.map(f),
    ];
    const remove = FieldSet.of(
      c('a'),
      c('a', 'name'),
      c('a', 'image'),
      c('a', 'args'),
      c('b'),
      c('b', 'image'),
    );
    const containers = (keep: FieldSet) =>
      (removeFields(live, DEPLOY, remove, keep) as ReturnType<typeof deployment>).spec.template.spec
        ?.containers;
    expect(containers(FieldSet.of(c('a', 'image')))).toBeUndefined();
    expect(containers(FieldSet.of(c('a'), c('a', 'image')))).toEqual([{ name: 'a', image: 'x' }]);
    expect(containers(FieldSet.of(c('b')))).toEqual([{ name: 'b' }]);
  });

  it('removes set items by value', () => {
    const live = { metadata: { finalizers: ['a', 'b'] } };
    const remove = FieldSet.of([f('metadata'), f('finalizers'), v('a')]);
    expect(removeFields(live, POD, remove, new FieldSet())).toEqual({
      metadata: { finalizers: ['b'] },
    });
  });
});
