// metav1.Status bodies, shaped and worded as a Kubernetes API server writes them (kubectl prints `message`).
import { qualifiedKind, qualifiedResource } from './catalog';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

type ResourceRef = { group: string; plural: string };
type KindRef = { group: string; kind: string };

export type StatusBody = Record<string, unknown>;

export class ApiError extends Error {
  readonly code: number;
  readonly status: StatusBody;

  constructor(code: number, reason: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }

  get reason(): string {
    return this.status.reason as string;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** The details block: empty fields are left out, as Go's omitempty does. */
function details(fields: {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields.name) out.name = fields.name;
  if (fields.group) out.group = fields.group;
  if (fields.kind) out.kind = fields.kind;
  if (fields.causes && fields.causes.length > 0) out.causes = fields.causes;
  return out;
}

function forResource(r: ResourceRef, name: string): Record<string, unknown> {
  return details({ name, group: r.group, kind: r.plural });
}

/** The text after "is invalid: ": one cause bare, several in brackets, each "field: message". */
function aggregate(causes: StatusCause[]): string {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  return parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
}

/** What an optimistic-concurrency failure says after "Operation cannot be fulfilled on ...: ". */
export const OBJECT_MODIFIED_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export const apiErrors = {
  notFound(r: ResourceRef, name: string): ApiError {
    return new ApiError(
      404,
      'NotFound',
      `${qualifiedResource(r)} "${name}" not found`,
      forResource(r, name),
    );
  },

  alreadyExists(r: ResourceRef, name: string): ApiError {
    return new ApiError(
      409,
      'AlreadyExists',
      `${qualifiedResource(r)} "${name}" already exists`,
      forResource(r, name),
    );
  },

  /** `message` is the reason after the colon, e.g. OBJECT_MODIFIED_MESSAGE. */
  conflict(r: ResourceRef, name: string, message: string = OBJECT_MODIFIED_MESSAGE): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${message}`,
      forResource(r, name),
    );
  },

  /** Kubernetes names the kind (not the resource) here: `Pod "x" is invalid: ...`, details.kind 'Pod'. */
  invalid(r: KindRef, name: string, causes: StatusCause[]): ApiError {
    const message = `${qualifiedKind(r)} "${name}" is invalid: ${aggregate(causes)}`;
    return new ApiError(
      422,
      'Invalid',
      message,
      details({ name, group: r.group, kind: r.kind, causes }),
    );
  },

  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },

  unsupportedMediaType(message: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', message);
  },

  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },

  tooLarge(message: string): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', message);
  },

  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },

  methodNotSupported(r: ResourceRef, verb: string): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      `${verb} is not supported on resources of kind "${qualifiedResource(r)}"`,
      details({ group: r.group, kind: r.plural }),
    );
  },

  forbidden(r: ResourceRef, name: string, message: string): ApiError {
    const subject = name ? `${qualifiedResource(r)} "${name}"` : qualifiedResource(r);
    return new ApiError(
      403,
      'Forbidden',
      `${subject} is forbidden: ${message}`,
      forResource(r, name),
    );
  },

  timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', `Timeout: ${message}`, {});
  },

  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },

  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
};

/** A Success Status, as answered to DELETE of an object that is gone at once or to deletecollection. */
export function statusSuccess(details?: Record<string, unknown>): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details ? { details } : {}),
  };
}
