import type { Rng } from '../prng';
import { kvCall, kvResult, type KvInput, type KvOperation, type KvOutput } from './kv-model';

export interface RandomKvHistoryOptions {
  readonly operations: number;
  readonly keys: number;
  readonly clients: number;
  /** Probability that an operation never returns. */
  readonly pendingRate: number;
  /** How far, in linearization slots, an interval may stretch on each side of its point. */
  readonly maxWiden: number;
}

/** How far apart consecutive linearization points are, in ticks. */
const SLOT = 10;

/**
 * A history that is linearizable by construction: operations are executed one at a time against a
 * reference map (the true linearization), each at its own point in time, then each interval is
 * widened around its point. A pending write takes effect at its point or, sometimes, never.
 * Written values are unique, so a read names exactly one write.
 */
export function randomKvHistory(rng: Rng, options: RandomKvHistoryOptions): KvOperation[] {
  const reference = new Map<string, string>();
  const written: string[] = [];
  const history: KvOperation[] = [];

  for (let i = 0; i < options.operations; i++) {
    const point = (i + options.maxWiden + 1) * SLOT;
    const key = `k${rng.int(options.keys)}`;
    const current = reference.get(key);
    const fresh = `v${i}`;
    const input = randomInput(rng, key, current, fresh, written);
    const pending = rng.chance(options.pendingRate);
    const tookEffect = !pending || rng.chance(0.7);

    let output: KvOutput;
    switch (input.kind) {
      case 'get':
        output = kvResult.value(current);
        break;
      case 'put':
        if (tookEffect) reference.set(key, input.value);
        output = kvResult.ok();
        break;
      case 'delete':
        if (tookEffect) reference.delete(key);
        output = kvResult.ok();
        break;
      case 'cas': {
        const applied = current === input.expected;
        if (applied && tookEffect) reference.set(key, input.next);
        output = kvResult.cas(applied);
        break;
      }
    }
    if (input.kind === 'put') written.push(input.value);
    if (input.kind === 'cas') written.push(input.next);

    const reach = SLOT * options.maxWiden + 1;
    const call = point - rng.int(reach);
    const ret = point + rng.int(reach);
    history.push(
      pending
        ? { client: i % options.clients, input, call, callTick: call }
        : {
            client: i % options.clients,
            input,
            call,
            ret,
            output,
            callTick: call,
            returnTick: ret,
          },
    );
  }
  return history;
}

function randomInput(
  rng: Rng,
  key: string,
  current: string | undefined,
  fresh: string,
  written: readonly string[],
): KvInput {
  const roll = rng.float();
  if (roll < 0.4) return kvCall.get(key);
  if (roll < 0.65) return kvCall.put(key, fresh);
  if (roll < 0.9) {
    // Mostly the current value, so chains of successful cas happen; sometimes a stale guess.
    const expected =
      rng.chance(0.6) || written.length === 0
        ? current
        : rng.chance(0.2)
          ? undefined
          : rng.pick(written);
    return kvCall.cas(key, expected, fresh);
  }
  return kvCall.delete(key);
}
