// Kubernetes' protobuf media type for the kinds kubectl's generators send: wire format, schemas, codec.
export { ProtobufError } from './errors';
export type { ProtobufProblem } from './errors';
export { ProtoReader, ProtoWriter, WireType } from './wire';
export { messageSchema, messageNames, parseFieldLine } from './schema';
export type { FieldSpec, MessageSchema, MessageTable } from './schema';
export { decodeMessage, encodeMessage } from './codec';
export type { EncodeOptions } from './codec';
export {
  PROTOBUF_MEDIA_TYPE,
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  protobufKinds,
  protobufMessageFor,
} from './envelope';
export type { DecodedObject } from './envelope';
export {
  PROTOBUF_WATCH_MEDIA_TYPE,
  decodeWatchEventFrames,
  encodeWatchEventFrame,
} from './watch-event';
export type { DecodedWatchEvent } from './watch-event';
