// etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact over the backend.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdBackend, RequestContext } from './backend';
import { wireSizeOf } from './proto/load-etcd-services';
import { checkDeleteRange, checkPut, checkRange, checkSize, checkTxn } from './request-checks';
import { EtcdApiLogger, unary } from './rpc-handlers';
import {
  HeaderFor,
  fromDeleteRangeResponse,
  fromTxnResponse,
  nonNegative,
  toDeleteRangeRequest,
  toPutRequest,
  toRangeRequest,
  toTxnRequest,
} from './wire-convert';
import {
  EncodeOnSend,
  EncodedMessage,
  encodePutResponse,
  encodeRangeResponse,
} from './wire-encoder';
import type {
  WireCompactionRequest,
  WireDeleteRangeRequest,
  WirePutRequest,
  WireRangeRequest,
  WireTxnRequest,
} from './wire-types';

export interface KvLimits {
  maxRequestBytes: number;
  maxTxnOps: number;
}

export class KvService {
  constructor(
    private readonly backend: EtcdBackend,
    private readonly header: HeaderFor,
    private readonly limits: KvLimits,
  ) {}

  async range(w: WireRangeRequest, ctx?: RequestContext): Promise<EncodeOnSend> {
    const req = toRangeRequest(w);
    checkRange(req);
    const r = await this.backend.range(req, ctx);
    return encodeRangeResponse(this.header(r.header.revision), r.kvs, r.more, r.count);
  }

  async put(w: WirePutRequest, ctx?: RequestContext): Promise<EncodedMessage> {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toPutRequest(w);
    checkPut(req);
    const r = await this.backend.put(req, ctx);
    return encodePutResponse(this.header(r.header.revision), r.prevKv);
  }

  async deleteRange(w: WireDeleteRangeRequest, ctx?: RequestContext) {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toDeleteRangeRequest(w);
    checkDeleteRange(req);
    return fromDeleteRangeResponse(await this.backend.deleteRange(req, ctx), this.header);
  }

  async txn(w: WireTxnRequest, ctx?: RequestContext) {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toTxnRequest(w);
    checkTxn(req, this.limits.maxTxnOps);
    return fromTxnResponse(await this.backend.txn(req, ctx), this.header);
  }

  async compact(w: WireCompactionRequest, ctx?: RequestContext) {
    const res = await this.backend.compact(
      { revision: nonNegative(w.revision), physical: w.physical === true },
      ctx,
    );
    return { header: this.header(res.header.revision) };
  }

  handlers(log: EtcdApiLogger): UntypedServiceImplementation {
    return {
      Range: unary(log, 'KV.Range', (r: WireRangeRequest, ctx) => this.range(r, ctx)),
      Put: unary(log, 'KV.Put', (r: WirePutRequest, ctx) => this.put(r, ctx)),
      DeleteRange: unary(log, 'KV.DeleteRange', (r: WireDeleteRangeRequest, ctx) =>
        this.deleteRange(r, ctx),
      ),
      Txn: unary(log, 'KV.Txn', (r: WireTxnRequest, ctx) => this.txn(r, ctx)),
      Compact: unary(log, 'KV.Compact', (r: WireCompactionRequest, ctx) => this.compact(r, ctx)),
    };
  }
}
