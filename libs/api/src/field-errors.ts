// Field errors as Kubernetes' validation reports them: cause reason "FieldValue...", message "<Type>: <value>: <detail>".
import type { StatusCause } from './status';

/** Go's %q for strings, %d for numbers, JSON for the rest. */
export function formatBadValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return 'null';
  return JSON.stringify(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export const fieldErrors = {
  required(field: string, detail?: string): StatusCause {
    return { reason: 'FieldValueRequired', message: withDetail('Required value', detail), field };
  },
  invalid(field: string, value: unknown, detail?: string): StatusCause {
    return {
      reason: 'FieldValueInvalid',
      message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail),
      field,
    };
  },
  forbidden(field: string, detail: string): StatusCause {
    return { reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail), field };
  },
  notFound(field: string, value: unknown): StatusCause {
    return { reason: 'FieldValueNotFound', message: `Not found: ${formatBadValue(value)}`, field };
  },
  duplicate(field: string, value: unknown): StatusCause {
    return {
      reason: 'FieldValueDuplicate',
      message: `Duplicate value: ${formatBadValue(value)}`,
      field,
    };
  },
  notSupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    return {
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${formatBadValue(value)}: supported values: ${list}`,
      field,
    };
  },
  tooLong(field: string, maxLength: number): StatusCause {
    return {
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${maxLength} bytes`,
      field,
    };
  },
};
