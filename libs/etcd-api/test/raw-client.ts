// A plain grpc-js client over our own service definitions, for exact status codes and messages.
import {
  Client,
  ClientDuplexStream,
  Metadata,
  ServiceError,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { loadEtcdServices } from '../src';

type Services = ReturnType<typeof loadEtcdServices>;

export class RawEtcdClient {
  private readonly services: Services = loadEtcdServices();
  private readonly client: Client;

  constructor(endpoint: string) {
    const Ctor = makeGenericClientConstructor({}, 'etcd');
    this.client = new Ctor(endpoint, credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  close(): void {
    this.client.close();
  }

  /** A unary call; resolves with the response or the ServiceError (never rejects). */
  call<Res = Record<string, unknown>>(
    service: keyof Services,
    method: string,
    request: object,
  ): Promise<{ response?: Res; error?: ServiceError }> {
    const def = this.services[service][method];
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error, response) => resolve(error ? { error } : { response: response as unknown as Res }),
      );
    });
  }

  /** A unary call to any path with raw bytes as the request (for malformed input). */
  callRaw(path: string, body: Buffer): Promise<ServiceError | undefined> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error) => resolve(error ?? undefined),
      );
    });
  }

  watch(): ClientDuplexStream<object, Record<string, unknown>> {
    const def = this.services.Watch.Watch;
    const stream = this.client.makeBidiStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize as (b: Buffer) => Record<string, unknown>,
      new Metadata(),
    );
    // Cancelling our own stream ends it with CANCELLED; that is not a test failure.
    stream.on('error', () => undefined);
    return stream;
  }
}
