// core/v1 LimitRange: per-container defaults and bounds in a namespace (applied at admission).
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { isPlainObject } from '../../object';
import { parseQuantity } from '../../quantity';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { col, NAME } from '../printing';
import { resource } from '../resource';

const TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'];

function validateLimitRange(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const limits = Array.isArray(spec(o).limits) ? (spec(o).limits as unknown[]) : [];
  limits.forEach((item, i) => {
    const at = `spec.limits[${i}]`;
    if (!isPlainObject(item)) return;
    if (!TYPES.includes(String(item.type)))
      out.push(fieldErrors.notSupported(`${at}.type`, item.type ?? '', TYPES));
    const min = isPlainObject(item.min) ? item.min : {};
    const max = isPlainObject(item.max) ? item.max : {};
    const dflt = isPlainObject(item.default) ? item.default : {};
    for (const [name, value] of Object.entries(min)) {
      const lo = parseQuantity(value);
      const hi = parseQuantity(max[name]);
      if (lo !== undefined && hi !== undefined && lo > hi)
        out.push(
          fieldErrors.invalid(
            `${at}.min[${name}]`,
            value,
            `min value ${String(value)} is greater than max value ${String(max[name])}`,
          ),
        );
    }
    for (const [name, value] of Object.entries(dflt)) {
      const d = parseQuantity(value);
      const hi = parseQuantity(max[name]);
      if (d !== undefined && hi !== undefined && d > hi)
        out.push(
          fieldErrors.invalid(
            `${at}.default[${name}]`,
            value,
            `default value ${String(value)} is greater than max value ${String(max[name])}`,
          ),
        );
    }
  });
  return out;
}

export const limitRangeKind: KindModule = {
  resource: resource('', 'LimitRange', 'limitranges', { shortNames: ['limits'] }),
  definitions: {
    [`${CORE}LimitRange`]: {
      description:
        'LimitRange sets resource usage limits for each kind of resource in a Namespace.',
      fields: kindFields({ spec: `#${CORE}LimitRangeSpec` }),
      gvk: { group: '', version: 'v1', kind: 'LimitRange' },
    },
    [`${CORE}LimitRangeSpec`]: {
      description: 'LimitRangeSpec defines a min/max usage limit for resources that match on kind.',
      fields: { limits: `[]#${CORE}LimitRangeItem` },
      required: ['limits'],
      listTypes: { limits: { type: 'atomic' } },
    },
    [`${CORE}LimitRangeItem`]: {
      description:
        'LimitRangeItem defines a min/max usage limit for any resource that matches on kind.',
      fields: {
        type: 'string',
        max: 'map:quantity',
        min: 'map:quantity',
        default: 'map:quantity',
        defaultRequest: 'map:quantity',
        maxLimitRequestRatio: 'map:quantity',
      },
      required: ['type'],
    },
  },
  validate: validateLimitRange,
  printer: {
    columns: [NAME, col('Created At', 'When the object was created.', { type: 'date' })],
    cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
  },
};
