// Query parameters read as the Kubernetes API server reads them (k8s.io/apimachinery's generated
// url.Values conversions): the first value counts, booleans are false only for "0" and "false"
// in any case, integers are Go's strconv.ParseInt.
import { apiErrors } from '@flotilla/api';

/**
 * A boolean parameter (watch, allowWatchBookmarks, force, orphanDependents, ...): undefined when
 * absent; false for "0" and "false" in any case; true for anything else, "" included, as
 * runtime.Convert_Slice_string_To_bool has it. So `watch=True` (Python) and `watch=1` both watch.
 */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(text, 10, 64), with its error text; a safe integer or a 400. */
export function parseInt64(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) {
    throw apiErrors.badRequest(
      `strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`,
    );
  }
  // Past 2^53 a JavaScript number loses digits; no limit or timeout needs them.
  return Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);
}

/**
 * An integer parameter (limit, timeoutSeconds, gracePeriodSeconds): undefined when absent; present
 * but empty or not an integer is a 400, as Kubernetes answers `?limit=` or `?limit=ten`.
 */
export function queryInt64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  return v === null ? undefined : parseInt64(v);
}

/**
 * Whether to indent a JSON answer, as Kubernetes decides: a media type parameter pretty=1, else
 * the `pretty` parameter as strconv.ParseBool reads it (anything it cannot read is false), else a
 * client that is a browser, curl or Wget.
 */
export function wantsPretty(q: URLSearchParams, userAgent: string, acceptPretty: boolean): boolean {
  if (acceptPretty) return true;
  const p = q.get('pretty');
  if (p !== null && p !== '') return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(p);
  return (
    userAgent.startsWith('curl') ||
    userAgent.startsWith('Wget') ||
    userAgent.startsWith('Mozilla/5.0')
  );
}

export type OptionsKind =
  'ListOptions' | 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/** 422 on a request's options, as Kubernetes answers options that parse but do not validate. */
export function invalidOptions(
  kind: OptionsKind,
  field: string,
  causes: { reason: string; message: string }[],
) {
  return apiErrors.invalid(
    { group: 'meta.k8s.io', kind },
    '',
    causes.map((c) => ({ ...c, field })),
  );
}

/** Go's %#v of a []string, as Kubernetes prints unsupported values of list parameters. */
export function goStrings(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** dryRun may only be "All" (every value of it). */
export function dryRunOf(values: string[], kind: OptionsKind): boolean {
  if (values.some((v) => v !== 'All')) {
    throw invalidOptions(kind, 'dryRun', [
      {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${goStrings(values)}: supported values: "All"`,
      },
    ]);
  }
  return values.length > 0;
}
