import { LineSplitter } from './line-splitter';

describe('LineSplitter', () => {
  it('splits lines across chunks, multi-byte characters included, and skips blank lines', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const text = Buffer.from('{"a":"é"}\n\n{"b":2}\n{"c"');
    // Split inside the two-byte é.
    const cut = text.indexOf(0xc3) + 1;
    s.push(text.subarray(0, cut));
    s.push(text.subarray(cut));
    s.push(Buffer.from(':3}\n'));
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}', '{"c":3}']);
    expect(s.rest()).toBe('');
  });

  it('skips keep-alive newlines and a stray carriage return; keeps what follows the last newline', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push(Buffer.from('\n\r\n{"a":1}\r\n \n{"b"'));
    expect(lines).toEqual(['{"a":1}\r']);
    expect(s.rest()).toBe('{"b"');
  });
});
