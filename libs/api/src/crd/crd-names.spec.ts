// The naming decision every master makes alone from the stored CRDs: the same answer everywhere,
// the older CRD keeping a contested name, conflicts worded as Kubernetes words them.
import type { ResourceInfo } from '../catalog';
import type { KubeObject } from '../object';
import { crdNamesStatus, isEstablished } from './crd-names';
import { parseColumnPath, printerFromColumns } from './printer-columns';

const NOW = '2026-01-01T00:00:00Z';

function crd(
  name: string,
  created: string,
  names: Record<string, unknown>,
  status?: object,
): KubeObject {
  return {
    metadata: {
      name: `${String(names.plural)}.example.com`,
      creationTimestamp: created,
      uid: name,
    },
    spec: { group: 'example.com', names },
    ...(status ? { status } : {}),
  };
}

const condition = (status: Record<string, unknown>, type: string) =>
  (status.conditions as { type: string; status: string; reason: string }[]).find(
    (c) => c.type === type,
  );

describe('CRD names', () => {
  it('accepts free names and establishes the CRD', () => {
    const a = crd('a', '2026-01-01T00:00:00Z', {
      plural: 'widgets',
      kind: 'Widget',
      shortNames: ['wd'],
    });
    const status = crdNamesStatus(a, [a], [], NOW);
    expect(status.acceptedNames).toEqual({
      plural: 'widgets',
      singular: 'widget',
      kind: 'Widget',
      listKind: 'WidgetList',
      shortNames: ['wd'],
    });
    expect(condition(status, 'NamesAccepted')).toMatchObject({
      status: 'True',
      reason: 'NoConflicts',
    });
    expect(condition(status, 'Established')).toMatchObject({
      status: 'True',
      reason: 'InitialNamesAccepted',
    });
    expect(isEstablished({ ...a, status })).toBe(true);
  });

  it('gives a contested name to the older CRD, whichever is looked at first', () => {
    const older = crd('a', '2026-01-01T00:00:00Z', { plural: 'widgets', kind: 'Widget' });
    const newer = crd('b', '2026-01-01T00:00:05Z', {
      plural: 'gadgets',
      kind: 'Gadget',
      shortNames: ['widgets'],
    });
    newer.metadata.name = 'gadgets.example.com';
    const all = [newer, older];
    expect(condition(crdNamesStatus(older, all, [], NOW), 'NamesAccepted')?.status).toBe('True');
    const lost = crdNamesStatus(newer, all, [], NOW);
    expect(condition(lost, 'NamesAccepted')).toMatchObject({
      status: 'False',
      reason: 'ShortNamesConflict',
      message: '"widgets" is already in use',
    });
    expect(condition(lost, 'Established')).toMatchObject({
      status: 'False',
      reason: 'NotAccepted',
    });
    expect(isEstablished({ ...newer, status: lost })).toBe(false);
  });

  it('keeps names already accepted even against an older CRD asking for them', () => {
    const accepted = { acceptedNames: { plural: 'widgets', kind: 'Widget' }, conditions: [] };
    const holder = crd(
      'b',
      '2026-01-01T00:00:05Z',
      { plural: 'widgets', kind: 'Widget' },
      accepted,
    );
    const older = crd('a', '2026-01-01T00:00:00Z', { plural: 'widgets', kind: 'Widget' });
    older.metadata.name = 'other.example.com';
    expect(
      condition(crdNamesStatus(older, [holder, older], [], NOW), 'NamesAccepted')?.reason,
    ).toBe('PluralConflict');
  });

  it('reports a clash with a built-in kind of the group', () => {
    const builtin = {
      group: 'example.com',
      plural: 'things',
      singular: 'thing',
      kind: 'Thing',
      listKind: 'ThingList',
      shortNames: [],
      categories: [],
    } as unknown as ResourceInfo;
    const c = crd('a', NOW, { plural: 'stuff', singular: 'stuffy', kind: 'Thing' });
    expect(condition(crdNamesStatus(c, [c], [builtin], NOW), 'NamesAccepted')).toMatchObject({
      reason: 'KindConflict',
    });
  });
});

describe('printer columns', () => {
  it('reads the JSONPath subset CRDs use', () => {
    expect(parseColumnPath('.spec.replicas')).toEqual([{ field: 'spec' }, { field: 'replicas' }]);
    expect(parseColumnPath('.status.conditions[?(@.type=="Ready")].status')).toHaveLength(4);
    expect(parseColumnPath('spec')).toBeUndefined();
    const printer = printerFromColumns([
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'First', type: 'integer', jsonPath: '.spec.ports[0].port' },
    ]);
    const o: KubeObject = {
      metadata: { name: 'x' },
      spec: { ports: [{ port: 80 }] },
      status: {
        conditions: [
          { type: 'Other', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
      },
    };
    expect(printer.cells(o, new Date(NOW))).toEqual(['x', 'True', 80]);
  });
});
