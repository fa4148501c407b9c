// discovery.k8s.io/v1 EndpointSlice.
import { defaultPorts } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import type { StatusCause } from '../../status';
import { entries } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { declareKind } from '../declare';
import { AGE, col, created, list, NAME, str } from '../printing';
import { resource } from '../resource';

const DISCOVERY = 'io.k8s.api.discovery.v1.';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

// Field tables: k8s.io/api discovery/v1 generated.proto numbers, types.go pointers and omitempty.
// Its Endpoint and EndpointPort share short names with core/v1 messages; the protobuf registry
// tells them apart by package.
const declared = declareKind({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  package: 'k8s.io.api.discovery.v1',
  prefix: DISCOVERY,
  descriptions: {
    EndpointSlice: 'A subset of the endpoints that implement a service.',
    Endpoint: 'A single logical backend.',
    EndpointConditions: 'The current condition of an endpoint.',
    EndpointHints: 'Hints on how an endpoint should be consumed.',
    EndpointPort: 'A port used by an endpoint slice.',
  },
  atomic: ['EndpointPort'],
  messages: {
    EndpointSlice: [
      '1 metadata ObjectMeta',
      '4 addressType! string',
      '2 endpoints! []Endpoint atomic',
      '3 ports! []EndpointPort atomic',
    ],
    Endpoint: [
      '1 addresses! []string set',
      '2 conditions EndpointConditions',
      '3 hostname *string',
      '4 targetRef *ObjectReference',
      '5 deprecatedTopology map[string]string',
      '6 nodeName *string',
      '7 zone *string',
      '8 hints *EndpointHints',
    ],
    EndpointConditions: ['1 ready *bool', '2 serving *bool', '3 terminating *bool'],
    EndpointHints: ['1 forZones []ForZone atomic', '2 forNodes []ForNode atomic'],
    ForZone: ['1 name! string'],
    ForNode: ['1 name! string'],
    EndpointPort: [
      '1 name *string',
      '2 protocol *string',
      '3 port *int32',
      '4 appProtocol *string',
    ],
    EndpointSliceList: ['1 metadata ListMeta', '2 items! []EndpointSlice'],
  },
});
// As Kubernetes' OpenAPI has it (the kind's own `!` fields are not marked required by declareKind).
declared.definitions[`${DISCOVERY}EndpointSlice`].required = ['addressType', 'endpoints'];

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
  definitions: declared.definitions,
  protobuf: declared.protobuf,
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
