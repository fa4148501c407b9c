// gRPC's length-prefixed message (gRPC over HTTP/2, "Length-Prefixed-Message"): one flag byte
// (0: not compressed) and the length as a big-endian uint32, then the message.

export const MESSAGE_PREFIX_BYTES = 5;

/** Writes an uncompressed message's prefix at `at` of `out`. */
export function writeMessagePrefix(out: Buffer, at: number, length: number): void {
  out[at] = 0;
  out.writeUInt32BE(length, at + 1);
}

/** The message behind its prefix, in a buffer of its own. */
export function frameMessage(bytes: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + bytes.length);
  writeMessagePrefix(framed, 0, bytes.length);
  framed.set(bytes, MESSAGE_PREFIX_BYTES);
  return framed;
}
