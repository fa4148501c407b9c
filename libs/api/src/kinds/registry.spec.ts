import { findResource, groupVersions, servedResources } from '../catalog';
import type { KubeObject } from '../object';
import { openApiV3Document } from '../openapi';
import { parseFieldSelector } from '../selectors';
import { prepareForCreate, unknownFields, validateCreate } from '../strategy';
import { toTable } from '../table';
import { fieldErrors } from '../field-errors';
import type { KindModule } from './kind-module';
import {
  kindModuleOf,
  kindModules,
  kindsGeneration,
  registerKind,
  unregisterKind,
} from './registry';
import { resource } from './resource';

const WIDGET = 'io.example.v1.Widget';

/** A kind declared at run time, as a CustomResourceDefinition will declare one. */
const widgetKind: KindModule = {
  resource: resource('example.io', 'Widget', 'widgets', { shortNames: ['wd'] }),
  definitions: {
    [WIDGET]: {
      description: 'A widget.',
      fields: {
        apiVersion: 'string',
        kind: 'string',
        metadata: '#io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
        size: 'integer',
      },
      gvk: { group: 'example.io', version: 'v1', kind: 'Widget' },
    },
  },
  selectableFields: ['size'],
  defaults: (o) => {
    o.size ??= 1;
  },
  validate: (o) =>
    typeof o.size === 'number' && o.size < 0
      ? [fieldErrors.invalid('size', o.size, 'must be greater than or equal to 0')]
      : [],
  printer: {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
      { name: 'Size', type: 'integer', format: '', description: '', priority: 0 },
    ],
    cells: (o) => [o.metadata.name ?? '', o.size as number],
  },
};

describe('the registry of kind modules', () => {
  afterEach(() => unregisterKind('example.io', 'v1', 'Widget'));

  it('has one module for every served resource, declaring its kind’s definition', () => {
    for (const r of servedResources()) {
      const m = kindModuleOf(r);
      expect(m?.resource).toBe(r);
      const own = Object.values(m?.definitions ?? {}).filter((d) => d.gvk?.kind === r.kind);
      expect(own).toHaveLength(1);
    }
    expect(kindModules()).toHaveLength(servedResources().length);
  });

  it('serves a kind registered at run time everywhere the machinery looks, and forgets it', () => {
    const before = kindsGeneration();
    registerKind(widgetKind);
    expect(kindsGeneration()).toBeGreaterThan(before);
    const r = findResource('example.io', 'v1', 'widgets')!;
    expect(r.kind).toBe('Widget');
    expect(groupVersions()).toContainEqual({ group: 'example.io', version: 'v1' });
    const doc = openApiV3Document('example.io', 'v1') as { components: { schemas: object } };
    expect(Object.keys(doc.components.schemas)).toContain(WIDGET);

    const ctx = { now: new Date(0), newUid: () => 'u1', namespace: 'default' };
    const made = prepareForCreate(r, { metadata: { name: 'w' } } as KubeObject, ctx);
    expect(made.size).toBe(1);
    expect(unknownFields(r, { ...made, colour: 'red' })).toEqual(['colour']);
    expect(() => validateCreate(r, { ...made, size: -1 })).toThrow(/size: Invalid value: -1/);
    expect(toTable(r, [made], { now: new Date(0) }).rows).toEqual([
      expect.objectContaining({ cells: ['w', 1] }),
    ]);
    expect(parseFieldSelector('size=1', r).requirements).toHaveLength(1);

    unregisterKind('example.io', 'v1', 'Widget');
    expect(findResource('example.io', 'v1', 'widgets')).toBeUndefined();
    expect(openApiV3Document('example.io', 'v1')).toBeUndefined();
  });
});
