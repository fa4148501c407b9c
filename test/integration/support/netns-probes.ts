// Tiny servers ("pods") and clients that run inside the lab's namespaces with plain `node -e`
// (Node cannot enter a namespace itself, so each is its own short process under nsenter).
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { NetnsLab } from './netns-lab';

/** Answers TCP with "hello <name> <client address>" then echoes lines as "<name>: <line>";
 *  answers each UDP datagram with "<name> <client address>". Prints "ready" when listening. */
const SERVER = `
const net = require('net'), dgram = require('dgram');
const [name, tcp, udp] = process.argv.slice(1);
const tcpPorts = tcp ? tcp.split(',').filter(Boolean).map(Number) : [];
const udpPorts = udp ? udp.split(',').filter(Boolean).map(Number) : [];
let waiting = tcpPorts.length + udpPorts.length;
const ready = () => { if (--waiting === 0) console.log('ready'); };
for (const p of tcpPorts) {
  net.createServer((s) => {
    s.setEncoding('utf8');
    s.on('error', () => {});
    s.write('hello ' + name + ' ' + s.remoteAddress + '\\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
        s.write(name + ': ' + buf.slice(0, i) + '\\n');
        buf = buf.slice(i + 1);
      }
    });
  }).listen(p, '0.0.0.0', ready);
}
for (const p of udpPorts) {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(name + ' ' + r.address, r.port, r.address));
  u.bind(p, '0.0.0.0', ready);
}
if (waiting === 0) console.log('ready');
`;

/** count connections (or datagrams) one after another; prints a JSON array of
 *  {ok: first line} or {err: code}. UDP uses one socket (one source port) for all. */
const PROBE = `
const net = require('net'), dgram = require('dgram');
const [mode, host, port, count, timeoutMs] = process.argv.slice(1);
const limit = Number(timeoutMs || 3000);
const results = [];
function tcpOnce() {
  return new Promise((res) => {
    const s = net.connect({ host, port: Number(port) });
    const t = setTimeout(() => { s.destroy(); res({ err: 'TIMEOUT' }); }, limit);
    let b = '';
    s.setEncoding('utf8');
    s.on('data', (d) => { b += d; if (b.includes('\\n')) { clearTimeout(t); s.destroy(); res({ ok: b.trim() }); } });
    s.on('error', (e) => { clearTimeout(t); res({ err: e.code }); });
  });
}
(async () => {
  if (mode === 'tcp') {
    for (let i = 0; i < Number(count); i++) results.push(await tcpOnce());
  } else {
    const u = dgram.createSocket('udp4');
    await new Promise((r) => u.bind(0, r));
    for (let i = 0; i < Number(count); i++) {
      results.push(await new Promise((res) => {
        const t = setTimeout(() => { u.off('message', on); res({ err: 'TIMEOUT' }); }, limit);
        const on = (m) => { clearTimeout(t); u.off('message', on); res({ ok: m.toString() }); };
        u.on('message', on);
        u.send('x', Number(port), host);
      }));
    }
    u.close();
  }
  console.log(JSON.stringify(results));
})();
`;

/** Holds one TCP connection: prints the greeting, then sends each stdin line and prints answers. */
const HOLD = `
const net = require('net'), readline = require('readline');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
s.setEncoding('utf8');
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
s.on('close', () => { console.log('closed'); process.exit(0); });
readline.createInterface({ input: process.stdin }).on('line', (l) => s.write(l + '\\n'));
`;

export interface ProbeResult {
  ok?: string;
  err?: string;
}

/** Starts a server in a namespace and waits until it listens. */
export async function startServer(
  lab: NetnsLab,
  netns: string,
  name: string,
  ports: { tcp?: number[]; udp?: number[] },
): Promise<ChildProcess> {
  const child = lab.spawnIn(netns, [
    process.execPath,
    '-e',
    SERVER,
    name,
    (ports.tcp ?? []).join(','),
    (ports.udp ?? []).join(','),
  ]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server ${name} exited with ${code}`)));
  });
  return child;
}

/** Runs `count` probes from a namespace; bounded by count and by a per-probe timeout. */
export async function probe(
  lab: NetnsLab,
  netns: string,
  mode: 'tcp' | 'udp',
  host: string,
  port: number,
  count: number,
  timeoutMs = 3000,
  options: { etc?: boolean } = {},
): Promise<ProbeResult[]> {
  const child = lab.spawnIn(
    netns,
    [process.execPath, '-e', PROBE, mode, host, String(port), String(count), String(timeoutMs)],
    options,
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    return JSON.parse(out) as ProbeResult[];
  } catch {
    throw new Error(`probe from ${netns} to ${host}:${port} printed ${JSON.stringify(out)} ${err}`);
  }
}

/** The names of the servers that answered (the second word of "hello <name> <addr>"). */
export function answeredBy(results: ProbeResult[]): string[] {
  return results.map((r) =>
    r.ok ? r.ok.split(' ')[r.ok.startsWith('hello ') ? 1 : 0] : `error:${r.err}`,
  );
}

export interface HeldConnection {
  greeting: string;
  /** Sends a line and returns the answer line. */
  send(line: string): Promise<string>;
  close(): void;
}

export async function holdConnection(
  lab: NetnsLab,
  netns: string,
  host: string,
  port: number,
): Promise<HeldConnection> {
  const child = lab.spawnIn(netns, [process.execPath, '-e', HOLD, host, String(port)]);
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const next = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(
        () => reject(new Error(`no answer on the held connection (${what})`)),
        10_000,
      );
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const greeting = await next('greeting');
  return {
    greeting,
    async send(line: string) {
      child.stdin!.write(`${line}\n`);
      return next(line);
    },
    close() {
      child.stdin!.end();
    },
  };
}
