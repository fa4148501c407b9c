// What can go wrong between protobuf bytes and a JSON object, kept apart so callers choose the HTTP code.

/**
 * `malformed`: the bytes are not valid protobuf (truncated, a bad varint, a wrong wire type).
 * `unsupported`: valid protobuf that this codec does not cover (a kind without a schema, a field
 * number it does not know that carries a value, a JSON value that has no protobuf form).
 */
export type ProtobufProblem = 'malformed' | 'unsupported';

export class ProtobufError extends Error {
  constructor(
    readonly problem: ProtobufProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export const malformed = (message: string) => new ProtobufError('malformed', message);
export const unsupported = (message: string) => new ProtobufError('unsupported', message);
