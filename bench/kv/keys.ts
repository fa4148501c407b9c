// Keys shaped like a Kubernetes API server's: /registry/pods/<namespace>/<name>.

export function podKey(namespace: string, index: number): Buffer {
  return Buffer.from(`/registry/pods/${namespace}/pod-${String(index).padStart(5, '0')}`);
}

export function namespacePrefix(namespace: string): Buffer {
  return Buffer.from(`/registry/pods/${namespace}/`);
}

/** The etcd range_end that makes [prefix, end) cover every key starting with prefix. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Pod index carried in a podKey, or -1. */
export function podIndexOf(key: Uint8Array): number {
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
  const dash = text.lastIndexOf('pod-');
  return dash < 0 ? -1 : Number(text.slice(dash + 4));
}
