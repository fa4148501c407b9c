// Helpers for callers building etcd-style key ranges.

/** range_end for "every key with this prefix": the prefix with its last byte incremented. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): no upper bound, etcd's "\0".
  return Buffer.from([0]);
}
