// core/v1 Endpoints.
import { defaultPorts, objectList } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import type { StatusCause } from '../../status';
import { entries } from '../../validate-kinds';
import { PORT_RANGE_MESSAGE, validPort } from '../../validate-pod';
import type { KindModule, Printer } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { AGE, col, created, list, NAME } from '../printing';
import { resource } from '../resource';

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty.
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    Endpoints: 'The endpoints that implement a service.',
    EndpointSubset: 'A group of addresses with a common set of ports.',
    EndpointAddress: 'A single IP address.',
    EndpointPort: 'A port of an endpoint.',
  },
  atomic: ['EndpointAddress', 'EndpointPort'],
  messages: {
    Endpoints: ['1 metadata ObjectMeta', '2 subsets []EndpointSubset atomic'],
    EndpointSubset: [
      '1 addresses []EndpointAddress atomic',
      '2 notReadyAddresses []EndpointAddress atomic',
      '3 ports []EndpointPort atomic',
    ],
    EndpointAddress: [
      '1 ip! string',
      '3 hostname string',
      '4 nodeName *string',
      '2 targetRef *ObjectReference',
    ],
    EndpointPort: ['1 name string', '2 port! int32', '3 protocol string', '4 appProtocol *string'],
    EndpointsList: ['1 metadata ListMeta', '2 items! []Endpoints'],
  },
});

function validateEndpoints(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  entries(o.subsets).forEach((subset, i) => {
    for (const list of ['addresses', 'notReadyAddresses']) {
      entries(subset[list]).forEach((addr, j) => {
        if (!addr.ip) out.push(fieldErrors.required(`subsets[${i}].${list}[${j}].ip`));
      });
    }
    entries(subset.ports).forEach((port, j) => {
      if (!validPort(port.port))
        out.push(
          fieldErrors.invalid(`subsets[${i}].ports[${j}].port`, port.port ?? 0, PORT_RANGE_MESSAGE),
        );
    });
  });
  return out;
}

function endpointsText(o: KubeObject): string {
  const all: string[] = [];
  for (const subset of list(o.subsets)) {
    const ports = list(subset.ports);
    for (const addr of list(subset.addresses)) {
      if (ports.length === 0) all.push(String(addr.ip));
      else for (const p of ports) all.push(`${String(addr.ip)}:${String(p.port)}`);
    }
  }
  if (all.length === 0) return '<none>';
  return all.length > 3
    ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`
    : all.join(',');
}

const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'The addresses and ports that back the service.'), AGE],
  cells: (o, now) => [o.metadata.name ?? '', endpointsText(o), created(o, now)],
};

export const endpointsKind: KindModule = {
  resource: resource('', 'Endpoints', 'endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  defaults(o) {
    for (const subset of objectList(o.subsets)) defaultPorts(subset.ports);
  },
  validate: validateEndpoints,
  printer: endpointsPrinter,
};
