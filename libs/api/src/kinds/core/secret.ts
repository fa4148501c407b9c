// core/v1 Secret.
import type { MessageTable } from '../../protobuf/schema';
import { setDefault } from '../../defaults';
import type { KubeObject } from '../../object';
import { isPlainObject } from '../../object';
import { apiErrors } from '../../status';
import { validateDataKeys, validateImmutableData } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { AGE, col, created, NAME, str } from '../printing';
import { resource } from '../resource';

/** Secret data must decode as base64, else the body cannot be decoded at all (400, as Kubernetes). */
function checkSecretData(o: KubeObject): void {
  if (!isPlainObject(o.data)) return;
  for (const value of Object.values(o.data)) {
    const text = typeof value === 'string' ? value : '';
    const bad =
      typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0;
    if (bad) {
      throw apiErrors.badRequest(
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`,
      );
    }
  }
}

/** stringData is write-only: its entries land in data (base64), over any of the same key. */
function mergeStringData(o: KubeObject): void {
  if (!isPlainObject(o.stringData)) return;
  const data: Record<string, unknown> = isPlainObject(o.data) ? { ...o.data } : {};
  for (const [key, value] of Object.entries(o.stringData)) {
    if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  o.data = data;
  delete o.stringData;
}

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const SECRET_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    Secret: [
      '1 metadata ObjectMeta',
      '5 immutable *bool',
      '2 data map[string]bytes',
      '4 stringData map[string]string',
      '3 type string',
    ],
    SecretList: ['1 metadata ListMeta', '2 items! []Secret'],
  },
};

export const secretKind: KindModule = {
  resource: resource('', 'Secret', 'secrets'),
  definitions: {
    [`${CORE}Secret`]: {
      description: 'Secret data.',
      fields: kindFields({
        data: 'map:string',
        stringData: 'map:string',
        type: 'string',
        immutable: 'boolean',
      }),
      gvk: { group: '', version: 'v1', kind: 'Secret' },
    },
  },
  selectableFields: ['type'],
  defaults: (o) => setDefault(o, 'type', 'Opaque'),
  decodable: checkSecretData,
  prepareForCreate: (o) => mergeStringData(o),
  prepareForUpdate: (o) => mergeStringData(o),
  validate: (o) => validateDataKeys(o, ['data', 'stringData']),
  validateUpdate: (next, prev) => validateImmutableData(next, prev, ['data']),
  printer: {
    columns: [
      NAME,
      col('Type', 'The type of the secret.'),
      col('Data', 'The number of entries.', { type: 'integer' }),
      AGE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(o.type, 'Opaque'),
      Object.keys(isPlainObject(o.data) ? o.data : {}).length,
      created(o, now),
    ],
  },
  protobuf: SECRET_PROTOBUF,
};
