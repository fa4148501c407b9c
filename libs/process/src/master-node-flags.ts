/**
 * Node/V8 flags a master runs with, given by every launcher (`flotilla up`, the image, the
 * benchmarks and the test clusters). A setting like this one is read when V8 sets up its heap,
 * so it cannot be applied from inside the process.
 *
 * --max-semi-space-size=8: V8's young generation is two semi-spaces of up to 16 MiB each on a
 * 64-bit machine; under load a master fills them, and 32 MiB of resident memory goes to short-
 * lived request garbage. At 8 MiB, peak RSS per member under 256 writing clients fell by
 * 10-20 MiB (12-18%) with the same throughput (bench:kv): scavenges run twice as often but each
 * copies about as much, since what survives one is the requests in flight.
 *
 * --heap-growing-percent=60: after a full GC, V8 lets the old generation grow to up to 4x what
 * survived on a machine with this much memory before the next one. Under 256 writing clients a
 * master keeps ~35 MiB live, yet requests in flight survive two scavenges and are promoted at
 * ~15 MiB/s, so the old generation grew to 120 MiB and the leader's RSS to ~240 MiB before V8
 * collected it. With the next full GC due at 1.6x (Go's default, GOGC=100, is 2x), full GCs run
 * 4-5x as often and the leader peaked at ~157 MiB, with the same throughput (bench:kv's c=256
 * puts, alternating runs); 1.3x cost 5-8% of throughput, 2x peaked at ~173 MiB.
 */
export const MASTER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=8',
  '--heap-growing-percent=60',
];
