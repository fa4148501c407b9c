// core/v1 Endpoints.
import { defaultPorts, objectList } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import type { StatusCause } from '../../status';
import { entries } from '../../validate-kinds';
import { PORT_RANGE_MESSAGE, validPort } from '../../validate-pod';
import type { KindModule, Printer } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { AGE, col, created, list, NAME } from '../printing';
import { resource } from '../resource';

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
  definitions: {
    [`${CORE}Endpoints`]: {
      description: 'The endpoints that implement a service.',
      fields: kindFields({ subsets: `[]#${CORE}EndpointSubset` }),
      gvk: { group: '', version: 'v1', kind: 'Endpoints' },
    },
    [`${CORE}EndpointSubset`]: {
      description: 'A group of addresses with a common set of ports.',
      fields: {
        addresses: `[]#${CORE}EndpointAddress`,
        notReadyAddresses: `[]#${CORE}EndpointAddress`,
        ports: `[]#${CORE}EndpointPort`,
      },
    },
    [`${CORE}EndpointAddress`]: {
      description: 'A single IP address.',
      fields: { ip: 'string', hostname: 'string', nodeName: 'string', targetRef: 'any' },
      required: ['ip'],
      atomic: true,
    },
    [`${CORE}EndpointPort`]: {
      description: 'A port of an endpoint.',
      fields: { name: 'string', port: 'integer', protocol: 'string', appProtocol: 'string' },
      required: ['port'],
      atomic: true,
    },
  },
  defaults(o) {
    for (const subset of objectList(o.subsets)) defaultPorts(subset.ports);
  },
  validate: validateEndpoints,
  printer: endpointsPrinter,
};
