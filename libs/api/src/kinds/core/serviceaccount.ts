// core/v1 ServiceAccount.
import type { MessageTable } from '../../protobuf/schema';
import type { KindModule } from '../kind-module';
import { BY_NAME, CORE, kindFields } from '../meta';
import { AGE, col, created, list, NAME } from '../printing';
import { resource } from '../resource';

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const SERVICEACCOUNT_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    ServiceAccount: [
      '1 metadata ObjectMeta',
      '2 secrets []ObjectReference',
      '3 imagePullSecrets []LocalObjectReference',
      '4 automountServiceAccountToken *bool',
    ],
    ServiceAccountList: ['1 metadata ListMeta', '2 items! []ServiceAccount'],
  },
};

export const serviceAccountKind: KindModule = {
  resource: resource('', 'ServiceAccount', 'serviceaccounts', {
    shortNames: ['sa'],
    subresources: ['token'],
  }),
  definitions: {
    [`${CORE}ServiceAccount`]: {
      description: 'An identity for processes in pods.',
      fields: kindFields({
        secrets: '[]any',
        imagePullSecrets: `[]#${CORE}LocalObjectReference`,
        automountServiceAccountToken: 'boolean',
      }),
      gvk: { group: '', version: 'v1', kind: 'ServiceAccount' },
      lists: { secrets: BY_NAME, imagePullSecrets: BY_NAME },
      listTypes: { imagePullSecrets: { type: 'atomic' } },
    },
  },
  printer: {
    columns: [NAME, col('Secrets', 'The number of secrets.', { type: 'integer' }), AGE],
    cells: (o, now) => [o.metadata.name ?? '', list(o.secrets).length, created(o, now)],
  },
  protobuf: SERVICEACCOUNT_PROTOBUF,
};
