/**
 * Freezes `value` and everything in it. The informer's cache hands the same objects to every
 * handler and lister caller; frozen, a caller that changes one by mistake gets a TypeError at
 * the line that did it instead of corrupting everyone's view. Clone (cloneJson) to modify.
 */
export function deepFreeze<T>(value: T): T {
  freeze(value);
  return value;
}

// Plain loops rather than Object.values: this runs on every object an informer receives.
function freeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) freeze(v[i]);
    return;
  }
  for (const k in v) freeze((v as Record<string, unknown>)[k]);
}
