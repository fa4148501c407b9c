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
 * Not here: --heap-growing-percent=60. V8 lets the old generation grow to up to 4x what the
 * last full GC kept; at 1.6x a master under 256 writing clients peaked at ~157 MiB instead of
 * ~240 with the same etcd API throughput, but the Kubernetes API with 3000 pods in its watch
 * cache lost 15-25% of its creates, gets and updates (2x: 10-13%), since each full GC marks
 * that cache. The README offers it to users who would rather save the memory.
 */
export const MASTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
