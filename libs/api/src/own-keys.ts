// Member names from a request are data. "__proto__", "constructor" and "prototype" are legal JSON
// member names (a ConfigMap may hold a key "__proto__"); read through `obj[key]` they reach
// Object.prototype, and written through `obj[key] = v` the first one replaces an object's
// prototype. Every walk that takes keys from user data reads and writes through these helpers.

/** Whether `key` is an own member of `obj` (never an inherited one such as "constructor"). */
export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** The own member `key` of `obj`, or undefined; inherited members are never returned. */
export function getOwn(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Sets `obj[key]` as a plain data member, "__proto__" included, without touching prototypes. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** An own entry of a table built in code, looked up by a name that may come from a request. */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
