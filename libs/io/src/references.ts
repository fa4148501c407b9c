/**
 * Weak references and a callback once an object is gone, as the garbage collector provides them
 * (WeakRef, FinalizationRegistry). Files kept while something may still read them use these;
 * the simulation passes strong references instead, because when a collection happens is not
 * something a seed can replay.
 */
export interface References {
  weak<T extends object>(target: T): { deref(): T | undefined };
  /** Calls `then` some time after `target` has been collected; `then` must not hold `target`. */
  whenCollected(target: object, then: () => void): void;
}

const finalizers = new FinalizationRegistry<() => void>((then) => then());

export const gcReferences: References = {
  weak: (target) => new WeakRef(target),
  whenCollected: (target, then) => finalizers.register(target, then),
};

/** References that never let go: nothing is ever reported collected. */
export const strongReferences: References = {
  weak: (target) => ({ deref: () => target }),
  whenCollected: () => undefined,
};
