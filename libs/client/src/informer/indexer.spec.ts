import type { KubeObject } from '@flotilla/api';
import { byNamespace, Indexer, NAMESPACE_INDEX } from './indexer';

const obj = (namespace: string | undefined, name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: rv },
});
const names = (list: KubeObject[]) => list.map((o) => o.metadata.name).sort();

describe('Indexer with the namespace index alone', () => {
  it('files objects by namespace through adds, updates and removals', () => {
    const idx = new Indexer({ [NAMESPACE_INDEX]: byNamespace });
    expect(idx.put(obj('a', 'x', '1'))).toBeUndefined();
    idx.put(obj('a', 'y', '2'));
    idx.put(obj('b', 'x', '3'));
    idx.put(obj(undefined, 'cluster-wide', '4'));
    const old = idx.put(obj('a', 'x', '5'));
    expect(old?.metadata.resourceVersion).toBe('1');
    expect(idx.get('a/x')?.metadata.resourceVersion).toBe('5');
    expect(names(idx.byIndex(NAMESPACE_INDEX, 'a'))).toEqual(['x', 'y']);
    expect(names(idx.byIndex(NAMESPACE_INDEX, 'b'))).toEqual(['x']);
    expect(names(idx.byIndex(NAMESPACE_INDEX, ''))).toEqual(['cluster-wide']);
    idx.remove('a/x');
    idx.remove('a/y');
    expect(idx.byIndex(NAMESPACE_INDEX, 'a')).toEqual([]);
    expect(idx.indexValues(NAMESPACE_INDEX).sort()).toEqual(['', 'b']);
  });

  it('keeps filing right once a second index joins', () => {
    const idx = new Indexer({ [NAMESPACE_INDEX]: byNamespace });
    idx.put(obj('a', 'x', '1'));
    idx.addIndexers({ byVersion: (o) => [o.metadata.resourceVersion ?? ''] });
    idx.put(obj('a', 'x', '2'));
    expect(idx.byIndex('byVersion', '1')).toEqual([]);
    expect(names(idx.byIndex('byVersion', '2'))).toEqual(['x']);
    expect(names(idx.byIndex(NAMESPACE_INDEX, 'a'))).toEqual(['x']);
  });
});
