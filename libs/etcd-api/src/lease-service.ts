// etcdserverpb.Lease: Grant, Revoke, TimeToLive, Leases, and the KeepAlive stream.
import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { StoreError } from '@flotilla/store';
import type { EtcdBackend } from './backend';
import { RpcError, rpcErrors } from './rpc-errors';
import { EtcdApiLogger, statusOf, unary } from './rpc-handlers';
import { HeaderFor, int, leaseId } from './wire-convert';
import type { Int64 } from './wire-types';

/** etcd's upper bound on a lease TTL (seconds). */
export const MAX_LEASE_TTL = 9_000_000_000;

interface IdRequest {
  ID: Int64;
}

export class LeaseService {
  constructor(
    private readonly backend: EtcdBackend,
    private readonly header: HeaderFor,
    private readonly log: EtcdApiLogger,
  ) {}

  async grant(w: { TTL: Int64; ID: Int64 }) {
    const ttl = int(w.TTL);
    if (ttl > MAX_LEASE_TTL) throw rpcErrors.leaseTtlTooLarge();
    const id = Number(w.ID ?? 0);
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        'etcdserver: lease ID must be a positive integer below 2^53',
      );
    }
    const res = await this.backend.leaseGrant(ttl, id);
    return { header: this.header(res.revision), ID: res.id, TTL: res.ttl, error: '' };
  }

  async revoke(w: IdRequest) {
    const res = await this.backend.leaseRevoke(leaseId(w.ID));
    return { header: this.header(res.revision) };
  }

  async timeToLive(w: IdRequest & { keys: boolean }) {
    try {
      const res = await this.backend.leaseTimeToLive(leaseId(w.ID), w.keys === true);
      return {
        header: this.header(res.revision),
        ID: w.ID,
        TTL: res.ttl,
        grantedTTL: res.grantedTtl,
        keys: res.keys,
      };
    } catch (err) {
      // As etcd: an unknown lease is reported as expired (TTL -1), not as an error.
      if (!isLeaseNotFound(err)) throw err;
      return { header: this.header(), ID: w.ID, TTL: -1, grantedTTL: 0, keys: [] };
    }
  }

  async leases() {
    const res = await this.backend.leases();
    return { header: this.header(res.revision), leases: res.ids.map((id) => ({ ID: id })) };
  }

  /** One KeepAlive answer: TTL 0 when the lease does not exist (any more), as etcd does. */
  async keepAlive(w: IdRequest) {
    try {
      const res = await this.backend.leaseKeepAlive(leaseId(w.ID));
      return { header: this.header(res.revision), ID: w.ID, TTL: res.ttl };
    } catch (err) {
      if (!isLeaseNotFound(err)) throw err;
      return { header: this.header(), ID: w.ID, TTL: 0 };
    }
  }

  handlers(): UntypedServiceImplementation {
    const log = this.log;
    return {
      LeaseGrant: unary(log, 'Lease.LeaseGrant', (r: { TTL: Int64; ID: Int64 }) => this.grant(r)),
      LeaseRevoke: unary(log, 'Lease.LeaseRevoke', (r: IdRequest) => this.revoke(r)),
      LeaseTimeToLive: unary(log, 'Lease.LeaseTimeToLive', (r: IdRequest & { keys: boolean }) =>
        this.timeToLive(r),
      ),
      LeaseLeases: unary(log, 'Lease.LeaseLeases', () => this.leases()),
      LeaseKeepAlive: (call: ServerDuplexStream<IdRequest, object>) =>
        new KeepAliveStream(call, (r) => this.keepAlive(r), log).start(),
    };
  }
}

function isLeaseNotFound(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === 'lease-not-found';
  return err instanceof RpcError && err.code === status.NOT_FOUND;
}

/**
 * Answers keep-alive requests one at a time, in order. At most `MAX_QUEUED` requests wait;
 * beyond that, and while the send buffer is full, reading from the client pauses.
 */
class KeepAliveStream {
  private static readonly MAX_QUEUED = 64;
  private readonly queue: IdRequest[] = [];
  private running = false;
  private closed = false;

  constructor(
    private readonly call: ServerDuplexStream<IdRequest, object>,
    private readonly answer: (r: IdRequest) => Promise<object>,
    private readonly log: EtcdApiLogger,
  ) {}

  start(): void {
    this.call.on('data', (r: IdRequest) => {
      this.queue.push(r);
      if (this.queue.length >= KeepAliveStream.MAX_QUEUED) this.call.pause();
      void this.run();
    });
    for (const event of ['cancelled', 'error', 'close'])
      this.call.on(event, () => (this.closed = true));
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let r = this.queue.shift(); r !== undefined && !this.closed; r = this.queue.shift()) {
        const response = await this.answer(r);
        if (this.closed) return;
        if (!this.call.write(response)) {
          await new Promise<void>((resolve) => {
            this.call.once('drain', resolve);
            this.call.once('close', resolve);
          });
        }
      }
      if (!this.closed) this.call.resume();
    } catch (err) {
      this.closed = true;
      this.call.emit('error', statusOf(err, this.log, 'Lease.LeaseKeepAlive'));
    } finally {
      this.running = false;
    }
  }
}
