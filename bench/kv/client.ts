// One gRPC connection to one member, speaking the etcd v3 API. The same class drives etcd and
// Flotilla, so both pay the same client cost.
import { Client, ClientDuplexStream, credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import {
  METHOD,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  StatusResponse,
  TxnRequest,
  TxnResponse,
  WatchRequest,
  WatchResponse,
  WireCodec,
  wire,
} from './etcd-wire';

/** PEM CA and client pair of the endpoints that serve TLS (the -tls systems). */
export interface ClientTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const tlsByEndpoint = new Map<string, ClientTls>();

/**
 * Connections to `endpoint` use TLS with this client certificate from now on: every place
 * that connects (pools, failover, watch fan-out) then pays the same handshake and record cost.
 */
export function useTls(endpoint: string, tls: ClientTls): void {
  tlsByEndpoint.set(endpoint, tls);
}

export class KvClient {
  private readonly client: Client;

  constructor(readonly endpoint: string) {
    const tls = tlsByEndpoint.get(endpoint);
    const creds = tls
      ? credentials.createSsl(tls.ca, tls.key, tls.cert)
      : credentials.createInsecure();
    // A private subchannel pool gives every KvClient its own TCP connection, so "N connections"
    // means N sockets and not N handles on one shared socket.
    this.client = new Client(endpoint, creds, {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 500,
    });
  }

  put(request: PutRequest, timeoutMs: number): Promise<PutResponse> {
    return this.unary(METHOD.put, wire.putRequest(), wire.putResponse(), request, timeoutMs);
  }

  range(request: RangeRequest, timeoutMs: number): Promise<RangeResponse> {
    return this.unary(METHOD.range, wire.rangeRequest(), wire.rangeResponse(), request, timeoutMs);
  }

  txn(request: TxnRequest, timeoutMs: number): Promise<TxnResponse> {
    return this.unary(METHOD.txn, wire.txnRequest(), wire.txnResponse(), request, timeoutMs);
  }

  status(timeoutMs: number): Promise<StatusResponse> {
    return this.unary(METHOD.status, wire.statusRequest(), wire.statusResponse(), {}, timeoutMs);
  }

  /** A bidirectional Watch stream; the caller sends create requests and reads responses. */
  watchStream(): ClientDuplexStream<WatchRequest, WatchResponse> {
    const req = wire.watchRequest();
    const res = wire.watchResponse();
    return this.client.makeBidiStreamRequest(
      METHOD.watch,
      (v: WatchRequest) => req.encode(v),
      (b: Buffer) => res.decode(b),
      new Metadata(),
    );
  }

  close(): void {
    this.client.close();
  }

  private unary<Req, Res>(
    method: string,
    reqCodec: WireCodec<Req>,
    resCodec: WireCodec<Res>,
    request: Req,
    timeoutMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method,
        (v: Req) => reqCodec.encode(v),
        (b: Buffer) => resCodec.decode(b),
        request,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, value?: Res) => {
          if (err !== null || value === undefined) reject(err ?? new Error('empty response'));
          else resolve(value);
        },
      );
    });
  }
}
