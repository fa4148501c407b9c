import type { KubeObject } from '@flotilla/api';
import { stripManagedFields } from './transform';

describe('stripManagedFields', () => {
  it('drops metadata.managedFields and keeps every other field, in order', () => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'a',
        labels: { x: 'y' },
        namespace: 'default',
        managedFields: [{ manager: 'kubectl', operation: 'Update' }],
        resourceVersion: '7',
      },
    };
    const out = stripManagedFields(obj);
    expect(out).toBe(obj);
    expect(Object.keys(out.metadata)).toEqual(['name', 'labels', 'namespace', 'resourceVersion']);
    expect(out.metadata).toEqual({
      name: 'a',
      labels: { x: 'y' },
      namespace: 'default',
      resourceVersion: '7',
    });
  });

  it('keeps a "__proto__" key of decoded metadata as a plain field', () => {
    const obj = JSON.parse(
      '{"metadata":{"name":"a","__proto__":{"polluted":true},"managedFields":[]}}',
    ) as KubeObject;
    const out = stripManagedFields(obj);
    expect(Object.getPrototypeOf(out.metadata)).toBe(Object.prototype);
    expect((out.metadata as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out.metadata)).toEqual(['name', '__proto__']);
  });

  it('leaves an object without managedFields as it is', () => {
    const metadata = { name: 'a' };
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata };
    expect(stripManagedFields(obj).metadata).toBe(metadata);
  });
});
