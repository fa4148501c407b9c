// core/v1 Namespace, with its finalize subresource.
import type { MessageTable } from '../../protobuf/schema';
import { fieldErrors } from '../../field-errors';
import { labelKeyProblem } from '../../label-names';
import type { KubeObject } from '../../object';
import { cloneJson, getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { BY_TYPE, CORE, kindFields } from '../meta';
import { AGE, col, created, NAME, str } from '../printing';
import { NO_COLLECTION_DELETE, resource } from '../resource';

function defaultNamespace(o: KubeObject): void {
  // Kubernetes labels every namespace with its own name so selectors can pick namespaces by name.
  if (o.metadata.name) {
    o.metadata.labels = {
      ...(o.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': o.metadata.name,
    };
  }
}

/** spec.finalizers: qualified names, as metadata.finalizers (checked on create and finalize). */
function validateNamespace(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const s = spec(o);
  if (s.finalizers === undefined || s.finalizers === null) return out;
  if (!Array.isArray(s.finalizers)) {
    out.push(fieldErrors.invalid('spec.finalizers', s.finalizers, 'must be a list of names'));
    return out;
  }
  s.finalizers.forEach((f, i) => {
    const problem = typeof f === 'string' ? labelKeyProblem(f) : 'must be a string';
    if (problem) out.push(fieldErrors.invalid(`spec.finalizers[${i}]`, f, problem));
  });
  return out;
}

function specOf(o: KubeObject): Record<string, unknown> {
  if (!isPlainObject(o.spec)) o.spec = {};
  return o.spec as Record<string, unknown>;
}

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const NAMESPACE_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    Namespace: ['1 metadata ObjectMeta', '2 spec NamespaceSpec', '3 status NamespaceStatus'],
    NamespaceSpec: ['1 finalizers []string'],
    NamespaceStatus: ['1 phase string', '2 conditions []NamespaceCondition'],
    NamespaceCondition: [
      '1 type! string',
      '2 status! string',
      '4 lastTransitionTime Time',
      '5 reason string',
      '6 message string',
    ],
    NamespaceList: ['1 metadata ListMeta', '2 items! []Namespace'],
  },
};

export const namespaceKind: KindModule = {
  resource: resource('', 'Namespace', 'namespaces', {
    shortNames: ['ns'],
    namespaced: false,
    verbs: NO_COLLECTION_DELETE,
    subresources: ['status', 'finalize'],
  }),
  nameRule: 'dns1123-label',
  definitions: {
    [`${CORE}Namespace`]: {
      description: 'A scope for names.',
      fields: kindFields({ spec: `#${CORE}NamespaceSpec`, status: 'any' }),
      gvk: { group: '', version: 'v1', kind: 'Namespace' },
      statusLists: { conditions: BY_TYPE },
    },
    [`${CORE}NamespaceSpec`]: {
      description: 'Namespace attributes.',
      fields: { finalizers: '[]string' },
    },
  },
  selectableFields: ['status.phase'],
  defaults: defaultNamespace,
  prepareForCreate(o) {
    const s = specOf(o);
    const finalizers = Array.isArray(s.finalizers) ? (s.finalizers as string[]) : [];
    s.finalizers = finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'];
    o.status = { phase: 'Active' };
  },
  prepareForUpdate(next, prev) {
    // Namespace finalizers change only through the finalize subresource.
    specOf(next).finalizers = cloneJson(
      isPlainObject(prev.spec) ? prev.spec.finalizers : undefined,
    );
  },
  validate: validateNamespace,
  printer: {
    columns: [NAME, col('Status', 'The lifecycle phase of the namespace.'), AGE],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(getPath(o, 'status.phase'), ''),
      created(o, now),
    ],
  },
  protobuf: NAMESPACE_PROTOBUF,
};
