// The CRI proto text as grpc-js client constructors. Field names keep their .proto spelling
// (pod_sandbox_id), int64 arrives as a decimal string (nanosecond timestamps exceed 2^53) and
// enums arrive by name.
import { ServiceClientConstructor, ServiceDefinition, makeClientConstructor } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { Root, parse } from 'protobufjs';
import { CRI_PROTO } from './cri-proto-text';

export interface CriClientConstructors {
  RuntimeService: ServiceClientConstructor;
  ImageService: ServiceClientConstructor;
}

let cached: CriClientConstructors | undefined;

export function criClientConstructors(): CriClientConstructors {
  if (cached) return cached;
  const root = new Root();
  parse(CRI_PROTO, root, { keepCase: true });
  root.resolveAll();
  const definitions = fromJSON(root.toJSON(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = (name: string): ServiceClientConstructor => {
    const def = definitions[`runtime.v1.${name}`] as ServiceDefinition | undefined;
    if (!def) throw new Error(`kubelet: ${name} missing from the CRI proto`);
    return makeClientConstructor(def, name);
  };
  cached = { RuntimeService: service('RuntimeService'), ImageService: service('ImageService') };
  return cached;
}
