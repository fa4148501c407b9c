// A closed-loop load: `concurrency` workers, each issuing one operation at a time, until either
// maxOps operations were issued or maxMs passed. Errors are counted, never thrown.
import { performance } from 'node:perf_hooks';
import { Samples } from './stats';

export interface ClosedLoopSpec {
  concurrency: number;
  maxOps: number;
  maxMs: number;
  /** One operation; `seq` is unique across workers. Resolves when acknowledged. */
  op: (worker: number, seq: number) => Promise<void>;
}

export async function runClosedLoop(spec: ClosedLoopSpec): Promise<Samples> {
  const samples = new Samples();
  const start = performance.now();
  const end = start + spec.maxMs;
  let issued = 0;
  const worker = async (w: number): Promise<void> => {
    while (issued < spec.maxOps && performance.now() < end) {
      const seq = issued++;
      const t0 = performance.now();
      try {
        await spec.op(w, seq);
        samples.add(performance.now() - t0);
      } catch (err) {
        samples.addError(errorText(err));
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, w) => worker(w)));
  samples.seconds = (performance.now() - start) / 1000;
  return samples;
}

export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
