// maxSurge and maxUnavailable: a number, or a percentage of the desired replicas, rounded up for
// the surge and down for unavailability (kube's intstr.GetScaledValueFromIntOrPercent and
// deployment util's ResolveFenceposts).

export type IntOrPercent = number | string | undefined;

export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m)
    throw new Error(
      `invalid value for IntOrString: invalid value "${value}": must be an integer or a percentage`,
    );
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** [maxSurge, maxUnavailable] in pods; both 0 would stall a rollout, so unavailable becomes 1. */
export function resolveFenceposts(
  maxSurge: IntOrPercent,
  maxUnavailable: IntOrPercent,
  desired: number,
): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}
