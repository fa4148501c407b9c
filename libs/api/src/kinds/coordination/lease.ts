// coordination.k8s.io/v1 Lease.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { nonNegative } from '../../validate-kinds';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { AGE, col, created, NAME, str } from '../printing';
import { resource } from '../resource';

const COORD = 'io.k8s.api.coordination.v1.';

// Field tables: k8s.io/api coordination/v1 generated.proto numbers, types.go pointers.
const declared = declareKind({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  package: 'k8s.io.api.coordination.v1',
  prefix: COORD,
  descriptions: { Lease: 'A lease concept.', LeaseSpec: 'The specification of a lease.' },
  messages: {
    Lease: ['1 metadata ObjectMeta', '2 spec LeaseSpec'],
    LeaseSpec: [
      '1 holderIdentity *string',
      '2 leaseDurationSeconds *int32',
      '3 acquireTime *MicroTime',
      '4 renewTime *MicroTime',
      '5 leaseTransitions *int32',
      '6 strategy *string',
      '7 preferredHolder *string',
    ],
    LeaseList: ['1 metadata ListMeta', '2 items! []Lease'],
  },
});

function validateLease(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const duration = spec.leaseDurationSeconds;
  if (
    duration !== undefined &&
    duration !== null &&
    !(typeof duration === 'number' && duration > 0)
  ) {
    out.push(fieldErrors.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  nonNegative(spec.leaseTransitions, 'spec.leaseTransitions', out);
  return out;
}

export const leaseKind: KindModule = {
  resource: resource('coordination.k8s.io', 'Lease', 'leases'),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  validate: validateLease,
  printer: {
    columns: [NAME, col('Holder', 'The identity of the current holder.'), AGE],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(getPath(o, 'spec.holderIdentity'), ''),
      created(o, now),
    ],
  },
};
