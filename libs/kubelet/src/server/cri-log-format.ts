// The CRI container log format, as containerd writes it and the kubelet reads it back: one record
// per line, `<RFC3339Nano time> <stdout|stderr> <P|F> <content>`, where P marks a piece of a line
// the runtime split (long lines) and F the piece that ends it. Pure: bytes in, log lines out.

export interface LogRecord {
  /** The timestamp as written (RFC3339 with nanoseconds). */
  time: string;
  /** Epoch milliseconds of `time`. */
  ms: number;
  stream: 'stdout' | 'stderr';
  /** The whole line, ending in "\n" (partial pieces joined). */
  content: string;
}

export interface LogFilter {
  /** Only the last N lines of what is there when reading starts. */
  tailLines?: number;
  /** Only lines at or after this time (epoch ms). */
  sinceMs?: number;
  /** Prefix every line with its time and a space. */
  timestamps: boolean;
}

/** RFC3339 with up to nine fractional digits; Date.parse takes at most three. */
export function parseLogTime(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return NaN;
  const fraction = (m[2] ?? '').slice(0, 3).padEnd(3, '0');
  return Date.parse(`${m[1]}.${fraction}${m[3]}`);
}

/**
 * Splits complete records out of `text`; the trailing text after the last newline, and a
 * partial line not yet ended by its F record, are handed back as `rest` to prepend next time.
 */
export function parseCriLog(text: string): { records: LogRecord[]; rest: string } {
  const records: LogRecord[] = [];
  let consumed = 0;
  let pending: LogRecord | undefined;
  let pendingStart = 0;
  let lineStart = 0;
  for (;;) {
    const nl = text.indexOf('\n', lineStart);
    if (nl < 0) break;
    const line = text.slice(lineStart, nl);
    const start = lineStart;
    lineStart = nl + 1;
    const parsed = parseRecordLine(line);
    if (!parsed) {
      // Not CRI format (a runtime writing plain text): keep it as a line of its own.
      if (!pending) {
        records.push({ time: '', ms: NaN, stream: 'stdout', content: `${line}\n` });
        consumed = lineStart;
      }
      continue;
    }
    if (!pending) {
      pending = { time: parsed.time, ms: parsed.ms, stream: parsed.stream, content: '' };
      pendingStart = start;
    }
    pending.content += parsed.content;
    if (parsed.tag === 'F') {
      pending.content += '\n';
      records.push(pending);
      pending = undefined;
      consumed = lineStart;
    }
  }
  return { records, rest: text.slice(pending ? pendingStart : consumed) };
}

function parseRecordLine(
  line: string,
):
  | { time: string; ms: number; stream: 'stdout' | 'stderr'; tag: string; content: string }
  | undefined {
  const s1 = line.indexOf(' ');
  const s2 = line.indexOf(' ', s1 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const time = line.slice(0, s1);
  const stream = line.slice(s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const ms = parseLogTime(time);
  if (Number.isNaN(ms)) return undefined;
  // The tag field came with CRI v1 logs; a record without it is a whole line.
  const s3 = line.indexOf(' ', s2 + 1);
  const tag = s3 < 0 ? line.slice(s2 + 1) : line.slice(s2 + 1, s3);
  if (tag === 'P' || tag === 'F') {
    return { time, ms, stream, tag, content: s3 < 0 ? '' : line.slice(s3 + 1) };
  }
  return { time, ms, stream, tag: 'F', content: line.slice(s2 + 1) };
}

/** The records a reader asked for, as text. */
export function formatRecords(records: LogRecord[], filter: LogFilter): string {
  let kept = records.filter((r) => filter.sinceMs === undefined || !(r.ms < filter.sinceMs));
  if (filter.tailLines !== undefined) {
    kept = filter.tailLines <= 0 ? [] : kept.slice(-filter.tailLines);
  }
  return kept.map((r) => formatRecord(r, filter.timestamps)).join('');
}

export function formatRecord(r: LogRecord, timestamps: boolean): string {
  return timestamps && r.time ? `${r.time} ${r.content}` : r.content;
}

/** One CRI log record line (what the fake runtime writes for its containers). */
export function criLogLine(time: Date, stream: 'stdout' | 'stderr', content: string): string {
  const iso = time.toISOString(); // ...sss Z; CRI writes nanoseconds
  return `${iso.slice(0, -1)}000000Z ${stream} F ${content}\n`;
}
