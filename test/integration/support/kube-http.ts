/** A tiny Kubernetes REST client on fetch, for tests that check status codes and bodies. */

// Response bodies are whatever JSON the server sent; tests read them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface KubeResponse {
  status: number;
  body: Json;
  headers: Headers;
}

export class KubeHttp {
  constructor(readonly base: string) {}

  async req(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<KubeResponse> {
    const raw = typeof body === 'string' || body instanceof Uint8Array;
    const response = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  get = (path: string, headers?: Record<string, string>) =>
    this.req('GET', path, undefined, headers);
  post = (path: string, body: unknown) => this.req('POST', path, body);
  put = (path: string, body: unknown) => this.req('PUT', path, body);
  del = (path: string, body?: unknown) => this.req('DELETE', path, body);
  patch = (path: string, type: string, body: unknown) =>
    this.req('PATCH', path, body, { 'content-type': type });

  /**
   * Reads a watch stream until `count` events arrived or `timeoutMs` passed; one JSON event per
   * line.
   */
  async watch(
    path: string,
    count: number,
    timeoutMs = 10_000,
    headers: Record<string, string> = {},
  ): Promise<{ type: string; object: Json }[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const events: { type: string; object: Json }[] = [];
    try {
      const response = await fetch(this.base + path, { signal: controller.signal, headers });
      const reader = response.body!.getReader();
      let buffered = '';
      const decoder = new TextDecoder();
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return events;
  }
}
