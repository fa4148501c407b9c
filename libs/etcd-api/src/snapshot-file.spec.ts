import { createHash } from 'node:crypto';
import { readSnapshotFile, snapshotTrailer } from './snapshot-file';

function fileOf(body: Buffer): Buffer {
  const signed = Buffer.concat([body, snapshotTrailer(body.length)]);
  return Buffer.concat([signed, createHash('sha256').update(signed).digest()]);
}

describe('snapshot file layout', () => {
  it.each([0, 1, 495, 496, 497, 512, 4096, 100_000])(
    'is 32 bytes past a multiple of 512 and gives back a %i-byte body',
    (n) => {
      const body = Buffer.alloc(n, 7);
      const file = fileOf(body);
      expect(file.length % 512).toBe(32);
      expect(readSnapshotFile(file).equals(body)).toBe(true);
    },
  );

  it('refuses a file whose hash does not match', () => {
    const file = fileOf(Buffer.from('state'));
    file[0] ^= 1;
    expect(() => readSnapshotFile(file)).toThrow('sha256 mismatch');
  });

  it('refuses a file of the wrong size', () => {
    expect(() => readSnapshotFile(Buffer.alloc(100))).toThrow('wrong size');
  });
});
