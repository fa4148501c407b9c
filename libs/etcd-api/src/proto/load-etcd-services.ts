// Turns the embedded .proto text into grpc-js service definitions, with no file read at run time.
// Field names keep their .proto spelling (range_end, ID, TTL); 64-bit integers arrive as decimal
// strings so uint64 member and cluster IDs above 2^53 survive; enums arrive as numbers.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { Root, parse } from 'protobufjs';
import { EncodeOnSend, EncodedMessage } from '../wire-encoder';
import { ETCDSERVER_PROTO, MVCC_PROTO } from './etcd-proto-text';

export const ETCD_SERVICE_NAMES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance'] as const;
export type EtcdServiceName = (typeof ETCD_SERVICE_NAMES)[number];

/** The size in bytes of a request as it came off the wire, attached to every decoded request. */
export const WIRE_SIZE = Symbol('etcd-api.wireSize');

export function wireSizeOf(request: object): number {
  return (request as { [WIRE_SIZE]?: number })[WIRE_SIZE] ?? 0;
}

export function loadEtcdServices(): Record<EtcdServiceName, ServiceDefinition> {
  const root = new Root();
  parse(MVCC_PROTO, root, { keepCase: true });
  parse(ETCDSERVER_PROTO, root, { keepCase: true });
  root.resolveAll();
  const definitions = fromJSON(root.toJSON(), {
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const out = {} as Record<EtcdServiceName, ServiceDefinition>;
  for (const name of ETCD_SERVICE_NAMES) {
    const service = definitions[`etcdserverpb.${name}`] as ServiceDefinition | undefined;
    if (service === undefined) throw new Error(`etcd-api: service ${name} missing from the proto`);
    out[name] = withWireHooks(service);
  }
  return out;
}

/** Requests carry their wire size; responses encoded by hand pass through as bytes. */
function withWireHooks(service: ServiceDefinition): ServiceDefinition {
  const out: Record<string, MethodDefinition<object, object>> = {};
  for (const [method, def] of Object.entries(service)) {
    const m = def as MethodDefinition<object, object>;
    out[method] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        const request = m.requestDeserialize(bytes);
        Object.defineProperty(request, WIRE_SIZE, { value: bytes.length });
        return request;
      },
      // (Our server asks an EncodeOnSend for its framed bytes itself; other transports land here.)
      responseSerialize: (response: object) =>
        response instanceof EncodedMessage
          ? response.bytes
          : response instanceof EncodeOnSend
            ? response.toBuffer()
            : m.responseSerialize(response),
    };
  }
  return out as ServiceDefinition;
}
