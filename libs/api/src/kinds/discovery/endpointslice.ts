// discovery.k8s.io/v1 EndpointSlice.
import { defaultPorts } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import type { StatusCause } from '../../status';
import { entries } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { kindFields } from '../meta';
import { AGE, col, created, list, NAME, str } from '../printing';
import { resource } from '../resource';

const DISCOVERY = 'io.k8s.api.discovery.v1.';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validateEndpointSlice(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  if (!o.addressType) out.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(String(o.addressType)))
    out.push(fieldErrors.notSupported('addressType', o.addressType, ADDRESS_TYPES));
  entries(o.endpoints).forEach((ep, i) => {
    if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) {
      out.push(
        fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'),
      );
    }
  });
  return out;
}

export const endpointSliceKind: KindModule = {
  resource: resource('discovery.k8s.io', 'EndpointSlice', 'endpointslices'),
  definitions: {
    [`${DISCOVERY}EndpointSlice`]: {
      description: 'A subset of the endpoints that implement a service.',
      fields: kindFields({
        addressType: 'string',
        endpoints: `[]#${DISCOVERY}Endpoint`,
        ports: `[]#${DISCOVERY}EndpointPort`,
      }),
      required: ['addressType', 'endpoints'],
      gvk: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
    },
    [`${DISCOVERY}Endpoint`]: {
      description: 'A single logical backend.',
      fields: {
        addresses: '[]string',
        conditions: `#${DISCOVERY}EndpointConditions`,
        hostname: 'string',
        targetRef: 'any',
        deprecatedTopology: 'map:string',
        nodeName: 'string',
        zone: 'string',
        hints: 'any',
      },
      required: ['addresses'],
      listTypes: { addresses: { type: 'set' } },
    },
    [`${DISCOVERY}EndpointConditions`]: {
      description: 'The current condition of an endpoint.',
      fields: { ready: 'boolean', serving: 'boolean', terminating: 'boolean' },
    },
    [`${DISCOVERY}EndpointPort`]: {
      description: 'A port used by an endpoint slice.',
      fields: { name: 'string', protocol: 'string', port: 'integer', appProtocol: 'string' },
      atomic: true,
    },
  },
  defaults: (o) => defaultPorts(o.ports),
  validate: validateEndpointSlice,
  printer: {
    columns: [
      NAME,
      col('AddressType', 'The type of address carried by this slice.'),
      col('Ports', 'The ports exposed by the endpoints.'),
      col('Endpoints', 'The addresses of the endpoints.'),
      AGE,
    ],
    cells: (o, now) => {
      const ports = list(o.ports).map((p) => String(p.port ?? ''));
      const addrs = list(o.endpoints).flatMap((e) =>
        Array.isArray(e.addresses) ? e.addresses.map(String) : [],
      );
      const addrText =
        addrs.length === 0
          ? '<unset>'
          : addrs.length > 3
            ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
            : addrs.join(',');
      return [
        o.metadata.name ?? '',
        str(o.addressType, ''),
        ports.length ? ports.join(',') : '<unset>',
        addrText,
        created(o, now),
      ];
    },
  },
};
