// kube's slowStartBatch: calls `fn` `count` times in batches of 1, 2, 4, ... run in parallel,
// and stops at the first batch with a failure. A controller that cannot create pods (quota, a bad
// template) thus sends one failing request, not hundreds.

export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0;) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0].reason };
    remaining -= batch;
    batch = Math.min(2 * batch, remaining);
  }
  return { successes };
}
