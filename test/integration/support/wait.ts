/** Polls until `probe` returns a value (not undefined); bounded by time and by count. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxTries && Date.now() <= deadline; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface TextResponse {
  status: number;
  body: string;
  contentType: string | null;
}

export async function getText(url: string): Promise<TextResponse> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
  };
}

/** The response, or undefined while nothing listens there. */
export async function tryGetText(url: string): Promise<TextResponse | undefined> {
  try {
    return await getText(url);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
