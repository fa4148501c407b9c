// etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact over the backend.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend';
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

  async range(w: WireRangeRequest): Promise<EncodeOnSend> {
    const req = toRangeRequest(w);
    checkRange(req);
    const r = await this.backend.range(req);
    return encodeRangeResponse(this.header(r.header.revision), r.kvs, r.more, r.count);
  }

  async put(w: WirePutRequest): Promise<EncodedMessage> {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toPutRequest(w);
    checkPut(req);
    const r = await this.backend.put(req);
    return encodePutResponse(this.header(r.header.revision), r.prevKv);
  }

  async deleteRange(w: WireDeleteRangeRequest) {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toDeleteRangeRequest(w);
    checkDeleteRange(req);
    return fromDeleteRangeResponse(await this.backend.deleteRange(req), this.header);
  }

  async txn(w: WireTxnRequest) {
    checkSize(wireSizeOf(w), this.limits.maxRequestBytes);
    const req = toTxnRequest(w);
    checkTxn(req, this.limits.maxTxnOps);
    return fromTxnResponse(await this.backend.txn(req), this.header);
  }

  async compact(w: WireCompactionRequest) {
    const res = await this.backend.compact({
      revision: nonNegative(w.revision),
      physical: w.physical === true,
    });
    return { header: this.header(res.header.revision) };
  }

  handlers(log: EtcdApiLogger): UntypedServiceImplementation {
    return {
      Range: unary(log, 'KV.Range', (r: WireRangeRequest) => this.range(r)),
      Put: unary(log, 'KV.Put', (r: WirePutRequest) => this.put(r)),
      DeleteRange: unary(log, 'KV.DeleteRange', (r: WireDeleteRangeRequest) => this.deleteRange(r)),
      Txn: unary(log, 'KV.Txn', (r: WireTxnRequest) => this.txn(r)),
      Compact: unary(log, 'KV.Compact', (r: WireCompactionRequest) => this.compact(r)),
    };
  }
}
