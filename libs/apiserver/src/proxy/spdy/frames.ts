// SPDY/3.1 framing (pure): frames to bytes and bytes to frames. Header blocks stay compressed
// here; the session owns the one zlib context per direction that they share.
//
// Control frame: 1 bit set, 15-bit version (3), 16-bit type, 8-bit flags, 24-bit length, payload.
// Data frame:    1 bit clear, 31-bit stream id, 8-bit flags, 24-bit length, payload.

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const ControlType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_INVALID_STREAM = 2;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

export const GOAWAY_OK = 0;
export const GOAWAY_PROTOCOL_ERROR = 1;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'syn_stream';
      streamId: number;
      associatedTo: number;
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headerBlock: Buffer;
    }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame type SPDY/3.1 does not define: skipped, as the spec asks. */
  | { type: 'unknown'; controlType: number };

export class SpdyProtocolError extends Error {}

const STREAM_ID_MASK = 0x7fffffff;

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('control frame too large');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((((flags & 0xff) << 24) >>> 0) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The bytes of one frame (a data frame's payload must fit in 24 bits: split before). */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_FRAME_PAYLOAD)
        throw new SpdyProtocolError('data frame too large');
      const head = Buffer.alloc(8);
      head.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      head.writeUInt32BE((((frame.fin ? FLAG_FIN : 0) << 24) >>> 0) | frame.data.length, 4);
      return Buffer.concat([head, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedTo & STREAM_ID_MASK, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      fixed.writeUInt8(0, 9); // credential slot: unused
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(ControlType.SynStream, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'syn_reply':
    case 'headers':
      return control(
        frame.type === 'syn_reply' ? ControlType.SynReply : ControlType.Headers,
        frame.fin ? FLAG_FIN : 0,
        Buffer.concat([words(frame.streamId & STREAM_ID_MASK), frame.headerBlock]),
      );
    case 'rst_stream':
      return control(
        ControlType.RstStream,
        0,
        words(frame.streamId & STREAM_ID_MASK, frame.status),
      );
    case 'settings': {
      const body = [words(frame.entries.length)];
      for (const e of frame.entries) {
        body.push(words((((e.flags & 0xff) << 24) >>> 0) | (e.id & 0xffffff), e.value));
      }
      return control(ControlType.Settings, 0, Buffer.concat(body));
    }
    case 'ping':
      return control(ControlType.Ping, 0, words(frame.id));
    case 'goaway':
      return control(
        ControlType.GoAway,
        0,
        words(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status),
      );
    case 'window_update':
      return control(
        ControlType.WindowUpdate,
        0,
        words(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK),
      );
    case 'unknown':
      throw new SpdyProtocolError(`cannot encode control frame type ${frame.controlType}`);
  }
}

/**
 * Cuts a byte stream into frames. Bytes of a frame not yet complete wait for the next push; a
 * frame is at most 16 MiB by its 24-bit length, so what waits is bounded.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.buffered.push(chunk);
      this.size += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.size >= 8) {
      const head = this.peek(8);
      const length = head.readUInt32BE(4) & 0xffffff;
      if (this.size < 8 + length) break;
      const bytes = this.take(8 + length);
      frames.push(decodeFrame(bytes));
    }
    return frames;
  }

  /** Bytes received that do not make a whole frame yet. */
  get pending(): number {
    return this.size;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0].length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return out;
  }
}

/** One whole frame (header and payload) to its fields. */
export function decodeFrame(bytes: Buffer): SpdyFrame {
  const first = bytes.readUInt32BE(0);
  const flags = bytes.readUInt8(4);
  const payload = bytes.subarray(8);
  if ((first & 0x80000000) === 0) {
    const streamId = first & STREAM_ID_MASK;
    if (streamId === 0) throw new SpdyProtocolError('data frame on stream 0');
    return { type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: payload };
  }
  const version = (first >>> 16) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = first & 0xffff;
  const need = (n: number) => {
    if (payload.length < n) throw new SpdyProtocolError(`control frame ${type} too short`);
  };
  const streamIdAt = (offset: number) => {
    const id = payload.readUInt32BE(offset) & STREAM_ID_MASK;
    if (id === 0) throw new SpdyProtocolError(`control frame ${type} on stream 0`);
    return id;
  };
  switch (type) {
    case ControlType.SynStream:
      need(10);
      return {
        type: 'syn_stream',
        streamId: streamIdAt(0),
        associatedTo: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        fin: (flags & FLAG_FIN) !== 0,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case ControlType.SynReply:
    case ControlType.Headers:
      need(4);
      return {
        type: type === ControlType.SynReply ? 'syn_reply' : 'headers',
        streamId: streamIdAt(0),
        fin: (flags & FLAG_FIN) !== 0,
        headerBlock: payload.subarray(4),
      };
    case ControlType.RstStream:
      need(8);
      return { type: 'rst_stream', streamId: streamIdAt(0), status: payload.readUInt32BE(4) };
    case ControlType.Settings: {
      need(4);
      const count = payload.readUInt32BE(0);
      need(4 + count * 8);
      const entries = [];
      for (let i = 0; i < count; i++) {
        const word = payload.readUInt32BE(4 + i * 8);
        entries.push({
          flags: word >>> 24,
          id: word & 0xffffff,
          value: payload.readUInt32BE(8 + i * 8),
        });
      }
      return { type: 'settings', entries };
    }
    case ControlType.Ping:
      need(4);
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case ControlType.GoAway:
      need(8);
      return {
        type: 'goaway',
        lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case ControlType.WindowUpdate:
      need(8);
      return {
        type: 'window_update',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      return { type: 'unknown', controlType: type };
  }
}
