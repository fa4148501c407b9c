// Splits a chunked body into newline-terminated lines (a watch sends one JSON event per line).
// Each chunk is decoded once (a StringDecoder keeps a multi-byte character split across chunks
// whole) and lines are cut from the text: one string per chunk rather than a Buffer view and a
// string per line, which is most of what a busy watch allocates besides the objects themselves.
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      // Events are long; only a short line can be blank (keep-alive newlines, a stray \r).
      if (line.length > 2 || line.trim() !== '') this.onLine(line);
    }
    this.pending = start < text.length ? text.slice(start) : '';
  }

  /** What arrived after the last newline (a stream should end on one). */
  rest(): string {
    return this.pending + this.decoder.end();
  }
}
