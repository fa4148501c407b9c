// Static checks etcd makes on a txn before applying it: the per-list operation limit, and no key
// written twice by one branch (two puts of a key, or a put inside a deleted range). Nested txns
// count for their parent; the two branches of a nested txn may write the same key, since only
// one of them runs. Pure.
import { errors } from './errors';
import { KeySpan, keySpan, spanContains } from './tree-index';
import { indexKey } from './layout';
import { RequestOp, TxnRequest } from './types';

export const DEFAULT_MAX_TXN_OPS = 128;

export function checkTxn(req: TxnRequest, maxOps: number): void {
  checkOpCounts(req, maxOps);
  checkBranch(req.success ?? []);
  checkBranch(req.failure ?? []);
}

function checkOpCounts(req: TxnRequest, maxOps: number): void {
  const lists = [req.compare ?? [], req.success ?? [], req.failure ?? []];
  if (lists.some((l) => l.length > maxOps)) throw errors.tooManyOps();
  for (const op of [...(req.success ?? []), ...(req.failure ?? [])]) {
    if ('requestTxn' in op) checkOpCounts(op.requestTxn, maxOps);
  }
}

interface Writes {
  puts: Set<string>;
  dels: KeySpan[];
}

function hitsDeletes(dels: KeySpan[], key: string): boolean {
  return dels.some((span) => spanContains(span, key));
}

function checkBranch(ops: RequestOp[]): Writes {
  const dels: KeySpan[] = [];
  for (const op of ops) {
    if ('requestDeleteRange' in op) {
      dels.push(keySpan(op.requestDeleteRange.key, op.requestDeleteRange.rangeEnd));
    }
  }
  const puts = new Set<string>();
  const nestedDels: KeySpan[] = [];
  for (const op of ops) {
    if (!('requestTxn' in op)) continue;
    const then = checkBranch(op.requestTxn.success ?? []);
    const otherwise = checkBranch(op.requestTxn.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || hitsDeletes(dels, k)) throw errors.duplicateKey();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || hitsDeletes(dels, k)) {
        throw errors.duplicateKey();
      }
      puts.add(k);
    }
    nestedDels.push(...then.dels, ...otherwise.dels);
  }
  dels.push(...nestedDels);
  for (const op of ops) {
    if (!('requestPut' in op)) continue;
    const k = indexKey(op.requestPut.key);
    if (puts.has(k) || hitsDeletes(dels, k)) throw errors.duplicateKey();
    puts.add(k);
  }
  return { puts, dels };
}
