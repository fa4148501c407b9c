// core/v1 ConfigMap.
import type { MessageTable } from '../../protobuf/schema';
import { isPlainObject } from '../../object';
import { validateDataKeys, validateImmutableData } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { AGE, col, created, NAME } from '../printing';
import { resource } from '../resource';

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const CONFIGMAP_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    ConfigMap: [
      '1 metadata ObjectMeta',
      '4 immutable *bool',
      '2 data map[string]string',
      '3 binaryData map[string]bytes',
    ],
    ConfigMapList: ['1 metadata ListMeta', '2 items! []ConfigMap'],
  },
};

export const configMapKind: KindModule = {
  resource: resource('', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  definitions: {
    [`${CORE}ConfigMap`]: {
      description: 'Configuration data for pods.',
      fields: kindFields({ data: 'map:string', binaryData: 'map:string', immutable: 'boolean' }),
      gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
    },
  },
  validate: (o) => validateDataKeys(o, ['data', 'binaryData']),
  validateUpdate: (next, prev) => validateImmutableData(next, prev, ['data', 'binaryData']),
  printer: {
    columns: [NAME, col('Data', 'The number of entries.', { type: 'integer' }), AGE],
    cells: (o, now) => [
      o.metadata.name ?? '',
      Object.keys(isPlainObject(o.data) ? o.data : {}).length +
        Object.keys(isPlainObject(o.binaryData) ? o.binaryData : {}).length,
      created(o, now),
    ],
  },
  protobuf: CONFIGMAP_PROTOBUF,
};
