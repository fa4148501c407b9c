// 32-bit hashing helpers for model states and the search's visited set.

/** Murmur3's finalizer: spreads every input bit over the whole word. */
export function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, finalized with mix32. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}

/** Combines two hashes in an order-sensitive way. */
export function combineHashes(a: number, b: number): number {
  return mix32((Math.imul(a, 0x9e3779b1) + b) >>> 0);
}
