// The kubelet's image garbage collection policy (--image-gc-high-threshold and friends), with the
// kubelet's defaults and the same rules for what makes sense.

export interface ImageGcPolicy {
  /** Disk usage (percent of the image filesystem) at or above which images are removed; 100: off. */
  highThresholdPercent: number;
  /** Removal stops once usage would be at or below this. */
  lowThresholdPercent: number;
  /** Images detected more recently than this are never removed for space (they may be about to run). */
  minAgeMs: number;
  /** Images unused for longer than this are removed whatever the usage; 0: off. */
  maxAgeMs: number;
  /** How often usage is checked (and once at start). */
  periodMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: Readonly<ImageGcPolicy> = Object.freeze({
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
  maxAgeMs: 0,
  periodMs: 5 * 60_000,
});

function isPercent(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 100;
}

/** What is wrong with the policy, one sentence per problem naming the flag; empty when valid. */
export function imageGcPolicyProblems(p: ImageGcPolicy): string[] {
  const problems: string[] = [];
  if (!isPercent(p.highThresholdPercent)) {
    problems.push(
      `--image-gc-high-threshold ${p.highThresholdPercent} must be a whole number from 0 to 100`,
    );
  }
  if (!isPercent(p.lowThresholdPercent)) {
    problems.push(
      `--image-gc-low-threshold ${p.lowThresholdPercent} must be a whole number from 0 to 100`,
    );
  }
  if (p.lowThresholdPercent >= p.highThresholdPercent) {
    problems.push(
      `--image-gc-low-threshold ${p.lowThresholdPercent} must be less than --image-gc-high-threshold ${p.highThresholdPercent}`,
    );
  }
  if (p.minAgeMs < 0) problems.push('--minimum-image-ttl-duration must not be negative');
  if (p.maxAgeMs < 0) problems.push('--image-maximum-gc-age must not be negative');
  if (p.maxAgeMs > 0 && p.maxAgeMs <= p.minAgeMs) {
    problems.push('--image-maximum-gc-age must be greater than --minimum-image-ttl-duration');
  }
  if (!(p.periodMs > 0)) problems.push('--image-gc-period must be positive');
  return problems;
}

/** A high threshold of 100 turns image garbage collection off, as in the kubelet. */
export function imageGcDisabled(p: ImageGcPolicy): boolean {
  return p.highThresholdPercent === 100;
}
