// Latency samples and their summary. Pure: no clock, no I/O.

export interface Summary {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** First few distinct error messages, for the reader of the JSON. */
  errorSamples: string[];
}

export class Samples {
  private values: number[] = [];
  errors = 0;
  seconds = 0;
  readonly errorSamples: string[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  addError(message: string): void {
    this.errors++;
    if (this.errorSamples.length < 5 && !this.errorSamples.includes(message)) {
      this.errorSamples.push(message);
    }
  }

  /** Folds another run of the same workload in (A B A B rounds add up). */
  merge(other: Samples): void {
    for (const v of other.values) this.values.push(v);
    this.errors += other.errors;
    this.seconds += other.seconds;
    for (const m of other.errorSamples) {
      if (this.errorSamples.length < 5 && !this.errorSamples.includes(m)) this.errorSamples.push(m);
    }
  }

  get count(): number {
    return this.values.length;
  }

  summary(): Summary {
    const sorted = Float64Array.from(this.values).sort();
    return {
      ops: sorted.length,
      errors: this.errors,
      seconds: round(this.seconds, 3),
      opsPerSec: this.seconds > 0 ? round(sorted.length / this.seconds, 1) : 0,
      p50Ms: round(percentile(sorted, 0.5), 3),
      p99Ms: round(percentile(sorted, 0.99), 3),
      p999Ms: round(percentile(sorted, 0.999), 3),
      errorSamples: [...this.errorSamples],
    };
  }
}

/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
