// Encryption at rest between the API server and the store, as kube-apiserver transforms values
// on their way to etcd: puts under an encrypted resource's prefix are sealed by the rule's first
// provider; every value read (ranges, transaction answers, watch events and their previous
// values) is opened by whichever provider's prefix it carries. Everything above sees plaintext;
// the store, its snapshots, its disk and its etcd port see only ciphertext.
import type {
  KeyValue,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchResponse,
} from '@flotilla/store';
import type { KvBackend, KvWatch } from '../kv-backend';
import type { EncryptionRule } from './encryption-config';
import { providersByPrefix } from './encryption-config';

const ENCRYPTED_MARK = Buffer.from('k8s:enc:');

export class StorageEncryption {
  private readonly byPrefix: [string, EncryptionRule][];

  constructor(rules: EncryptionRule[]) {
    this.byPrefix = [...providersByPrefix(rules)];
  }

  private ruleFor(key: Buffer | Uint8Array): EncryptionRule | undefined {
    const text = Buffer.from(key).toString('utf8');
    for (const [prefix, rule] of this.byPrefix) if (text.startsWith(prefix)) return rule;
    return undefined;
  }

  seal(key: Uint8Array, value: Uint8Array): Buffer {
    const v = Buffer.from(value);
    const rule = this.ruleFor(key);
    if (!rule) return v;
    const writer = rule.providers[0];
    return Buffer.concat([Buffer.from(writer.prefix), writer.encrypt(v, Buffer.from(key))]);
  }

  open(key: Uint8Array, value: Buffer): Buffer {
    const rule = this.ruleFor(key);
    const sealed = value.subarray(0, ENCRYPTED_MARK.length).equals(ENCRYPTED_MARK);
    if (!rule) return value;
    for (const p of rule.providers) {
      if (p.prefix === '') {
        if (sealed) continue;
        return value;
      }
      if (
        value.length >= p.prefix.length &&
        value.toString('latin1', 0, p.prefix.length) === p.prefix
      ) {
        try {
          return p.decrypt(value.subarray(p.prefix.length), Buffer.from(key));
        } catch (err) {
          throw new Error(
            `cannot decrypt ${Buffer.from(key).toString()}: ${(err as Error).message}`,
          );
        }
      }
    }
    throw new Error(
      `cannot decrypt ${Buffer.from(key).toString()}: no provider of ${rule.names.join(', ')} ` +
        `matches how it was stored (${sealed ? value.toString('latin1', 0, value.indexOf(':', 18) + 1) : 'not encrypted'})`,
    );
  }

  openKv(kv: KeyValue): KeyValue {
    if (kv.value.length === 0) return kv;
    return { ...kv, value: this.open(kv.key, kv.value) };
  }
}

/** The backend with values sealed on the way in and opened on the way out. */
export function encryptingBackend(inner: KvBackend, enc: StorageEncryption): KvBackend {
  const openRange = (r: RangeResponse): RangeResponse => ({
    ...r,
    kvs: r.kvs.map((kv) => enc.openKv(kv)),
  });
  const sealTxn = (t: TxnRequest): TxnRequest => ({
    ...t,
    success: t.success?.map(sealOp),
    failure: t.failure?.map(sealOp),
  });
  const sealOp = (op: RequestOp): RequestOp => {
    if ('requestPut' in op && op.requestPut.value !== undefined && !op.requestPut.ignoreValue) {
      const put = op.requestPut;
      return { requestPut: { ...put, value: enc.seal(put.key, put.value!) } };
    }
    if ('requestTxn' in op) return { requestTxn: sealTxn(op.requestTxn) };
    return op;
  };
  const openTxn = (t: TxnResponse): TxnResponse => ({ ...t, responses: t.responses.map(openOp) });
  const openOp = (op: ResponseOp): ResponseOp => {
    if ('responseRange' in op) return { responseRange: openRange(op.responseRange) };
    if ('responsePut' in op) {
      const prev = op.responsePut.prevKv;
      return { responsePut: { ...op.responsePut, prevKv: prev && enc.openKv(prev) } };
    }
    if ('responseDeleteRange' in op) {
      const d = op.responseDeleteRange;
      return { responseDeleteRange: { ...d, prevKvs: d.prevKvs.map((kv) => enc.openKv(kv)) } };
    }
    return { responseTxn: openTxn(op.responseTxn) };
  };
  const openWatch = (r: WatchResponse): WatchResponse =>
    r.events.length === 0
      ? r
      : {
          ...r,
          events: r.events.map((e) => ({
            ...e,
            kv: enc.openKv(e.kv),
            prevKv: e.prevKv && enc.openKv(e.prevKv),
          })),
        };
  return {
    ...inner,
    range: async (req) => openRange(await inner.range(req)),
    txn: async (req) => openTxn(await inner.txn(sealTxn(req))),
    watch: (opts) => {
      const w = inner.watch(opts);
      const opened: KvWatch = {
        cancel: () => w.cancel(),
        async *[Symbol.asyncIterator]() {
          for await (const r of w) yield openWatch(r);
        },
      };
      return opened;
    },
    revision: () => inner.revision(),
    compactRevision: () => inner.compactRevision(),
    progress: () => inner.progress(),
    leaseGrant: (ttl) => inner.leaseGrant(ttl),
    leaseKeepAlive: (id) => inner.leaseKeepAlive(id),
    leaseRevoke: (id) => inner.leaseRevoke(id),
  };
}
