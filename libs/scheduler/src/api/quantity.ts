// Resource quantities as exact integers, as Kubernetes' resource.Quantity gives them to the
// scheduler: MilliValue() for cpu, Value() for the rest, both rounded up. Plain forms ("100m",
// "2", "512Mi", "1G") take a Number fast path; anything else (fractions, exponents) is computed
// with BigInt so "0.1" cpu is exactly 100m and "1.5Gi" exactly 1610612736.

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const QUANTITY =
  /^([+-]?)(\d*)(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

export class QuantityError extends Error {}

const cache = new Map<string, number>();
const CACHE_LIMIT = 10_000;

/** The quantity × 10^scale as an integer, rounded up (scale 3: milli-units, 0: units). */
export function scaledValue(quantity: unknown, scale: 0 | 3): number {
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity)) throw new QuantityError(`quantity ${quantity} is not finite`);
    return Math.ceil(quantity * 10 ** scale);
  }
  if (typeof quantity !== 'string')
    throw new QuantityError(`quantity ${String(quantity)} is not a string`);
  const key = scale === 3 ? `m${quantity}` : quantity;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const value = parse(quantity.trim(), scale);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** MilliValue(): milli-units, rounded up (cpu). */
export const milliValue = (q: unknown): number => scaledValue(q, 3);
/** Value(): whole units, rounded up (memory, storage, counts). */
export const unitValue = (q: unknown): number => scaledValue(q, 0);

function parse(text: string, scale: number): number {
  const m = QUANTITY.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new QuantityError(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(text)}`,
    );
  const negative = m[1] === '-';
  const whole = m[2] || '0';
  const fraction = m[3] ?? '';
  let exp10 = scale - fraction.length;
  let exp2 = 0;
  if (m[4]) exp10 += Number(m[4].slice(1));
  else if (m[5]) {
    if (m[5] in BINARY_SUFFIX) exp2 = BINARY_SUFFIX[m[5]];
    else exp10 += DECIMAL_SUFFIX[m[5]];
  }
  const digits = whole + fraction;
  // Fast path: small integers scaled up stay exact in a double.
  if (digits.length <= 15 && exp10 >= 0 && exp10 <= 15 && exp2 <= 50) {
    const v = Number(digits) * 10 ** exp10 * 2 ** exp2;
    if (Number.isSafeInteger(v)) return negative ? -v : v;
  }
  let n = BigInt(digits) * 2n ** BigInt(exp2);
  if (exp10 >= 0) n *= 10n ** BigInt(exp10);
  else {
    const d = 10n ** BigInt(-exp10);
    // Round away from zero for positives (ceil), toward zero for negatives: Kubernetes rounds up.
    n = negative ? n / d : (n + d - 1n) / d;
  }
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) n = BigInt(Number.MAX_SAFE_INTEGER);
  const v = Number(n);
  return negative ? -v : v;
}
