// Adapters from promise-returning service methods to grpc-js handlers: every failure (thrown or
// rejected) becomes an etcd status, never an unhandled rejection.
import { Metadata, status } from '@grpc/grpc-js';
import type { StatusObject, handleUnaryCall } from '@grpc/grpc-js';
import type { RequestContext } from './backend';
import { toRpcError } from './rpc-errors';

/** The logging the facade needs; structurally satisfied by @flotilla/observability's JsonLogger. */
export interface EtcdApiLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: EtcdApiLogger = { info() {}, warn() {}, error() {} };

/** The status object a failed call ends with; unexpected failures are logged. */
export function statusOf(err: unknown, log: EtcdApiLogger, method: string): Partial<StatusObject> {
  const e = toRpcError(err);
  if (e.code === status.UNKNOWN || e.code === status.INTERNAL) {
    log.error('etcd-api: request failed', {
      method,
      error: err instanceof Error ? err : String(err),
    });
  }
  return { code: e.code, details: e.message, metadata: new Metadata() };
}

/** Our server's calls carry their deadline and cancellation (grpc-js's do not). */
function requestContext(call: object): RequestContext | undefined {
  return typeof (call as Partial<RequestContext>).onDone === 'function'
    ? (call as RequestContext)
    : undefined;
}

export function unary<Req, Res>(
  log: EtcdApiLogger,
  method: string,
  fn: (request: Req, ctx?: RequestContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, requestContext(call)))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(statusOf(err, log, method)),
      );
  };
}
