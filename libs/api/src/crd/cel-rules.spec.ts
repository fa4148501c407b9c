// x-kubernetes-validations: CEL rules evaluated on custom objects with Kubernetes' messages, typed
// by the schema (integers are CEL ints), transition rules against the stored object.
import type { KubeObject } from '../object';
import type { StatusCause } from '../status';
import { celCompileErrors } from './cel-rules';
import { customKindModules } from './custom-kind';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        {
          rule: 'self.minReplicas <= self.replicas',
          message: 'replicas must be at least minReplicas',
        },
        { rule: 'self.replicas + 1 > 1', reason: 'FieldValueForbidden' },
        { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' },
      ],
      properties: {
        replicas: { type: 'integer' },
        minReplicas: { type: 'integer' },
        mode: { type: 'string' },
        name: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self.startsWith("w-")', fieldPath: '' }],
        },
      },
    },
  },
};

const crd: KubeObject = {
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', kind: 'Widget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
  },
};
const [widgets] = customKindModules(crd);
const obj = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w' },
  spec,
});
const messages = (causes: StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);

describe('CEL validation rules', () => {
  it('passes a valid object', () => {
    expect(widgets.validate!(obj({ replicas: 2, minReplicas: 1, mode: 'a', name: 'w-1' }))).toEqual(
      [],
    );
  });

  it('reports each failing rule at its field, with its message or the rule', () => {
    expect(messages(widgets.validate!(obj({ replicas: 0, minReplicas: 1, name: 'x' })))).toEqual([
      'spec: Invalid value: "object": replicas must be at least minReplicas',
      'spec: Forbidden: failed rule: self.replicas + 1 > 1',
      'spec.name: Invalid value: "string": failed rule: self.startsWith("w-")',
    ]);
  });

  it('runs transition rules on updates only', () => {
    const prev = obj({ replicas: 1, minReplicas: 1, mode: 'a' });
    const next = obj({ replicas: 1, minReplicas: 1, mode: 'b' });
    expect(widgets.validate!(next)).toEqual([]);
    expect(messages(widgets.validateUpdate!(next, prev))).toEqual([
      'spec: Invalid value: "object": mode is immutable',
    ]);
    expect(widgets.validateUpdate!(prev, prev)).toEqual([]);
  });

  it('refuses rules that do not compile when the CRD is written', () => {
    const bad = {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.a >' }, { rule: '' }],
    };
    expect(messages(celCompileErrors(bad, 'root'))).toEqual([
      'root.x-kubernetes-validations[0].rule: Invalid value: "self.a >": compilation failed: Unexpected token: EOF',
      'root.x-kubernetes-validations[1].rule: Required value',
    ]);
  });
});
