// coordination.k8s.io/v1 Lease.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { nonNegative } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { kindFields } from '../meta';
import { AGE, col, created, NAME, str } from '../printing';
import { resource } from '../resource';

const COORD = 'io.k8s.api.coordination.v1.';

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
  definitions: {
    [`${COORD}Lease`]: {
      description: 'A lease concept.',
      fields: kindFields({ spec: `#${COORD}LeaseSpec` }),
      gvk: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
    },
    [`${COORD}LeaseSpec`]: {
      description: 'The specification of a lease.',
      fields: {
        holderIdentity: 'string',
        leaseDurationSeconds: 'integer',
        acquireTime: 'time',
        renewTime: 'time',
        leaseTransitions: 'integer',
        strategy: 'string',
        preferredHolder: 'string',
      },
    },
  },
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
