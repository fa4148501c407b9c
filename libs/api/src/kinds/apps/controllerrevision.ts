// apps/v1 ControllerRevision: an immutable snapshot of a workload's template (its history).
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { jsonEqual } from '../../object';
import type { StatusCause } from '../../status';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { APPS } from '../meta';
import { AGE, col, created, NAME } from '../printing';
import { resource } from '../resource';

// Field tables: k8s.io/api apps/v1 generated.proto. `data` is a runtime.RawExtension: any JSON,
// carried as its bytes in protobuf.
const declared = declareKind({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  package: 'k8s.io.api.apps.v1',
  prefix: APPS,
  descriptions: {
    ControllerRevision:
      'ControllerRevision implements an immutable snapshot of state data. Clients are responsible for serializing and deserializing the objects that contain their internal state.',
  },
  messages: {
    ControllerRevision: ['1 metadata ObjectMeta', '2 data RawExtension', '3 revision! int64'],
    ControllerRevisionList: ['1 metadata ListMeta', '2 items! []ControllerRevision'],
  },
});

// As Kubernetes' OpenAPI has it (the top-level message's `!` fields are not marked required).
declared.definitions[`${APPS}ControllerRevision`].required = ['revision'];

function controllerText(o: KubeObject): string {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

function validateRevision(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  if (typeof o.revision !== 'number' || !Number.isInteger(o.revision) || o.revision < 0)
    out.push(
      fieldErrors.invalid('revision', o.revision ?? null, 'must be greater than or equal to 0'),
    );
  return out;
}

export const controllerRevisionKind: KindModule = {
  resource: resource('apps', 'ControllerRevision', 'controllerrevisions'),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  validate: validateRevision,
  validateUpdate: (next, prev) =>
    jsonEqual(next.data, prev.data)
      ? []
      : [fieldErrors.invalid('data', next.data ?? null, 'field is immutable')],
  printer: {
    columns: [
      NAME,
      col('Controller', 'The controller this revision belongs to.'),
      col('Revision', 'The revision number.', { type: 'integer' }),
      AGE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      controllerText(o),
      typeof o.revision === 'number' ? o.revision : 0,
      created(o, now),
    ],
  },
};
