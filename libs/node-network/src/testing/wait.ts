/** Polls `done` until true; bounded by time and count. */
export async function waitUntil(
  done: () => boolean,
  timeoutMs = 10_000,
  intervalMs = 10,
): Promise<void> {
  const tries = Math.ceil(timeoutMs / intervalMs);
  for (let i = 0; i < tries; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error('timed out waiting for a condition');
}
