// kubectl logs on the node: the options of a /containerLogs request, and the streaming of one
// container's CRI log to the client (all of it, its tail, from a time, up to a byte limit, and
// with follow until the container stops or the client leaves).
import { StringDecoder } from 'node:string_decoder';
import { formatRecords, parseCriLog, parseLogTime } from './cri-log-format';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceMs?: number;
  limitBytes?: number;
}

/** Kubernetes' PodLogOptions from a query string; an error names the bad parameter. */
export function parseLogOptions(query: URLSearchParams, now: number): LogOptions {
  const bool = (name: string): boolean => {
    const v = query.get(name);
    if (v === null || v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw new Error(`${name}: ${JSON.stringify(v)} is not a boolean`);
  };
  const int = (name: string, min: number): number | undefined => {
    const v = query.get(name);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) {
      throw new Error(`${name}: ${JSON.stringify(v)} must be an integer of at least ${min}`);
    }
    return Number(v);
  };
  const sinceSeconds = int('sinceSeconds', 1);
  const sinceTime = query.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) {
    throw new Error('at most one of sinceTime or sinceSeconds may be specified');
  }
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime) {
    sinceMs = parseLogTime(sinceTime);
    if (Number.isNaN(sinceMs))
      throw new Error(`sinceTime: ${JSON.stringify(sinceTime)} is not RFC3339`);
  }
  const tailLines = int('tailLines', 0);
  const limitBytes = int('limitBytes', 1);
  return {
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

/** Where a log comes from: the bytes from an offset on, and whether more may come. */
export interface LogSource {
  read(offset: number): Promise<Buffer>;
  /** Whether the container still runs (then a follower waits for more). */
  running(): Promise<boolean>;
}

/** Where the text goes: false when the reader left (stop reading then). */
export interface LogSink {
  write(text: string): Promise<boolean>;
  /** The reader went away (a follower stops waiting). */
  closed(): boolean;
}

export interface StreamLogDeps {
  sleep: (ms: number) => Promise<void>;
  /** How often a follower looks for new lines. */
  pollMs: number;
}

/** Writes what the options ask for; with follow, returns once the container stopped. */
export async function streamLog(
  source: LogSource,
  options: LogOptions,
  sink: LogSink,
  deps: StreamLogDeps,
): Promise<void> {
  let remaining = options.limitBytes ?? Infinity;
  const emit = async (text: string): Promise<boolean> => {
    if (text === '') return true;
    let out = text;
    if (Buffer.byteLength(out) > remaining) {
      out = Buffer.from(out).subarray(0, remaining).toString('utf8');
      remaining = 0;
      await sink.write(out);
      return false;
    }
    remaining -= Buffer.byteLength(out);
    return sink.write(out);
  };
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let offset = 0;
  const take = async (): Promise<string | undefined> => {
    const chunk = await source.read(offset);
    if (chunk.length === 0) return undefined;
    offset += chunk.length;
    return decoder.write(chunk);
  };
  const first = (await take()) ?? '';
  const parsed = parseCriLog(first);
  rest = parsed.rest;
  const filter = { sinceMs: options.sinceMs, timestamps: options.timestamps };
  if (!(await emit(formatRecords(parsed.records, { ...filter, tailLines: options.tailLines })))) {
    return;
  }
  if (!options.follow) return;
  while (!sink.closed()) {
    const text = await take();
    if (text !== undefined) {
      const next = parseCriLog(rest + text);
      rest = next.rest;
      if (!(await emit(formatRecords(next.records, filter)))) return;
      continue;
    }
    if (!(await source.running())) {
      // One more look: lines written between the last read and the exit.
      const last = await take();
      if (last !== undefined) await emit(formatRecords(parseCriLog(rest + last).records, filter));
      return;
    }
    await deps.sleep(deps.pollMs);
  }
}
