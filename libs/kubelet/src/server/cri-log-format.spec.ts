import { formatRecords, parseCriLog, parseLogTime } from './cri-log-format';
import { parseLogOptions, streamLog, type LogSource } from './container-logs';
import { webSocketRefusal } from './stream-upgrade';

const LOG = [
  '2030-01-01T00:00:01.000000001Z stdout F first line',
  '2030-01-01T00:00:02.500000000Z stderr P a long ',
  '2030-01-01T00:00:02.600000000Z stderr F line, split',
  '2030-01-01T00:00:03.000000000Z stdout F third',
  '',
].join('\n');

describe('the CRI log format', () => {
  it('reads records, joining the pieces of a split line', () => {
    const { records, rest } = parseCriLog(LOG);
    expect(records.map((r) => [r.stream, r.content])).toEqual([
      ['stdout', 'first line\n'],
      ['stderr', 'a long line, split\n'],
      ['stdout', 'third\n'],
    ]);
    expect(records[1].time).toBe('2030-01-01T00:00:02.500000000Z');
    expect(rest).toBe('');
  });

  it('hands back an unfinished record and a split line still waiting for its end', () => {
    const cut = parseCriLog(LOG.slice(0, LOG.indexOf('line, split')));
    expect(cut.records.map((r) => r.content)).toEqual(['first line\n']);
    expect(parseCriLog(cut.rest + LOG.slice(LOG.indexOf('line, split'))).records).toHaveLength(2);
  });

  it('keeps nanosecond times to the millisecond', () => {
    expect(parseLogTime('2030-01-01T00:00:02.5Z')).toBe(Date.UTC(2030, 0, 1, 0, 0, 2, 500));
    expect(parseLogTime('2030-01-01T01:00:00.123456789+01:00')).toBe(
      Date.UTC(2030, 0, 1, 0, 0, 0, 123),
    );
    expect(parseLogTime('yesterday')).toBeNaN();
  });

  it('applies tailLines, since and timestamps as kubectl logs asks', () => {
    const { records } = parseCriLog(LOG);
    expect(formatRecords(records, { tailLines: 2, timestamps: false })).toBe(
      'a long line, split\nthird\n',
    );
    expect(formatRecords(records, { tailLines: 0, timestamps: false })).toBe('');
    expect(
      formatRecords(records, { sinceMs: Date.UTC(2030, 0, 1, 0, 0, 3), timestamps: true }),
    ).toBe('2030-01-01T00:00:03.000000000Z third\n');
  });
});

describe('log options and streaming', () => {
  const now = Date.UTC(2030, 0, 1, 0, 0, 4);

  it('parses the query of kubectl logs, and names a bad parameter', () => {
    const q = new URLSearchParams(
      'follow=true&tailLines=3&sinceSeconds=2&timestamps=true&limitBytes=9',
    );
    expect(parseLogOptions(q, now)).toEqual({
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 3,
      sinceMs: now - 2000,
      limitBytes: 9,
    });
    expect(() => parseLogOptions(new URLSearchParams('tailLines=x'), now)).toThrow(
      'tailLines: "x" must be an integer of at least 0',
    );
    expect(() =>
      parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2030-01-01T00:00:00Z'), now),
    ).toThrow('at most one of sinceTime or sinceSeconds may be specified');
  });

  function growingLog(chunks: string[], runningRounds: number): LogSource {
    let text = '';
    let round = 0;
    return {
      read: async (offset) => {
        if (chunks.length > 0 && round > 0) text += chunks.shift();
        return Buffer.from(text).subarray(offset);
      },
      running: async () => ++round <= runningRounds,
    };
  }

  it('follows a log until the container stops, then ends', async () => {
    const out: string[] = [];
    const source = growingLog([LOG.split('\n')[0] + '\n', LOG.split('\n').slice(1).join('\n')], 3);
    await streamLog(
      source,
      { follow: true, previous: false, timestamps: false },
      { write: async (t) => (out.push(t), true), closed: () => false },
      { pollMs: 0, sleep: async () => undefined },
    );
    expect(out.join('')).toBe('first line\na long line, split\nthird\n');
  });

  it('stops at limitBytes', async () => {
    const out: string[] = [];
    await streamLog(
      { read: async (o) => Buffer.from(LOG).subarray(o), running: async () => true },
      { follow: true, previous: false, timestamps: false, limitBytes: 7 },
      { write: async (t) => (out.push(t), true), closed: () => false },
      { pollMs: 0, sleep: async () => undefined },
    );
    expect(out.join('')).toBe('first l');
  });
});

describe('which WebSocket upgrades go on to the runtime', () => {
  const ws = (protocols: string) =>
    ({
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': protocols },
    }) as unknown as import('node:http').IncomingMessage;

  it('passes the v1-v4 channel protocols and SPDY, refuses v5 and SPDY tunnelling', () => {
    expect(
      webSocketRefusal(ws('v4.channel.k8s.io, channel.k8s.io'), 'remotecommand'),
    ).toBeUndefined();
    expect(webSocketRefusal(ws('v5.channel.k8s.io'), 'remotecommand')).toMatch(
      /v5\.channel\.k8s\.io/,
    );
    expect(webSocketRefusal(ws('v4.channel.k8s.io'), 'portforward')).toBeUndefined();
    expect(webSocketRefusal(ws('SPDY/3.1+portforward.k8s.io'), 'portforward')).toMatch(
      /does not speak SPDY\/3\.1\+portforward\.k8s\.io/,
    );
    const spdy = {
      headers: { upgrade: 'SPDY/3.1' },
    } as unknown as import('node:http').IncomingMessage;
    expect(webSocketRefusal(spdy, 'portforward')).toBeUndefined();
  });
});
