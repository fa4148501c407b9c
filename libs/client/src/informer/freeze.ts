/**
 * Freezes `value` and everything in it. The informer's cache hands the same objects to every
 * handler and lister caller; frozen, a caller that changes one by mistake gets a TypeError at
 * the line that did it instead of corrupting everyone's view. Clone (cloneJson) to modify.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
