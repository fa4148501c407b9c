// Splits a chunked body into newline-terminated lines (a watch sends one JSON event per line).
// Works on bytes, so a multi-byte character split across chunks is decoded whole.

export class LineSplitter {
  private pending: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line =
        this.pending.length === 0
          ? piece.toString('utf8')
          : Buffer.concat([...this.pending, piece]).toString('utf8');
      this.pending = [];
      start = nl + 1;
      if (line.trim() !== '') this.onLine(line);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** What arrived after the last newline (a stream should end on one). */
  rest(): string {
    return Buffer.concat(this.pending).toString('utf8');
  }
}
