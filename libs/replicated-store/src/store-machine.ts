import { Entry } from '@flotilla/raft';
import { MvccStore } from '@flotilla/store';
import type { SnapshotImage, StateMachine } from '@flotilla/raft-node';

/**
 * The MVCC store as Raft's state machine. Entries without a payload (a new leader's empty
 * entry, configuration changes) only advance the store's applied index. A snapshot is the
 * store's chunk stream, each chunk length-prefixed so it can be split again on restore.
 */
export class StoreMachine implements StateMachine {
  constructor(readonly store: MvccStore) {}

  appliedIndex(): number {
    return this.store.appliedIndex;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    const outcomes = await this.store.applyBatch(
      entries.map((e) => ({
        index: e.index,
        command: e.type === 'normal' && e.data.byteLength > 0 ? e.data : null,
      })),
    );
    return outcomes.map((o) =>
      o.status === 'applied' ? o.response : o.status === 'rejected' ? o.error : undefined,
    );
  }

  async snapshot(): Promise<SnapshotImage> {
    const snap = await this.store.createSnapshot();
    return {
      index: snap.meta.appliedIndex,
      chunks: lengthPrefixed(snap),
      release: () => snap.release(),
    };
  }

  persist(): Promise<number> {
    return this.store.persist();
  }

  async restore(data: Uint8Array): Promise<void> {
    await this.store.restoreSnapshot(splitChunks(data));
  }
}

async function* lengthPrefixed(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(chunk.byteLength, 0);
    yield len;
    yield chunk;
  }
}

export function* splitChunks(data: Uint8Array): Generator<Uint8Array> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw new Error('snapshot: truncated chunk header');
    const len = buf.readUInt32BE(at);
    at += 4;
    if (at + len > buf.length) throw new Error('snapshot: truncated chunk');
    yield buf.subarray(at, at + len);
    at += len;
  }
}
