// A keep-alive HTTP client for the API benchmark: JSON requests and line-streamed watches.
import { Agent, IncomingMessage, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface JsonReply {
  status: number;
  body: string;
}

/** Host and port per base URL, parsed once: the client shares the CPU with the masters. */
const targets = new Map<string, { hostname: string; port: number }>();

function target(base: string): { hostname: string; port: number } {
  let t = targets.get(base);
  if (!t) {
    const url = new URL(base);
    t = { hostname: url.hostname, port: Number(url.port) };
    targets.set(base, t);
  }
  return t;
}

export function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        ...target(base),
        path,
        method,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

/** Opens a watch; `onLine` gets each event line. Returns a function that closes it. */
export function openWatch(
  base: string,
  path: string,
  onLine: (line: string) => void,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch answered ${res.statusCode}`));
        return;
      }
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
      res.on('error', () => undefined);
      resolve(() => req.destroy());
    });
    req.on('error', reject);
    req.end();
  });
}
