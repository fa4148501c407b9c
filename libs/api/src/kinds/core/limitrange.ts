// core/v1 LimitRange: per-container defaults and bounds in a namespace (applied at admission).
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { isPlainObject } from '../../object';
import { parseQuantity } from '../../quantity';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { col, NAME } from '../printing';
import { resource } from '../resource';

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty.
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    LimitRange: 'LimitRange sets resource usage limits for each kind of resource in a Namespace.',
    LimitRangeSpec:
      'LimitRangeSpec defines a min/max usage limit for resources that match on kind.',
    LimitRangeItem:
      'LimitRangeItem defines a min/max usage limit for any resource that matches on kind.',
  },
  messages: {
    LimitRange: ['1 metadata ObjectMeta', '2 spec LimitRangeSpec'],
    LimitRangeSpec: ['1 limits! []LimitRangeItem atomic'],
    LimitRangeItem: [
      '1 type! string',
      '2 max map[string]Quantity',
      '3 min map[string]Quantity',
      '4 default map[string]Quantity',
      '5 defaultRequest map[string]Quantity',
      '6 maxLimitRequestRatio map[string]Quantity',
    ],
    LimitRangeList: ['1 metadata ListMeta', '2 items! []LimitRange'],
  },
});

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
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  validate: validateLimitRange,
  printer: {
    columns: [NAME, col('Created At', 'When the object was created.', { type: 'date' })],
    cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
  },
};
