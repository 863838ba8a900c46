/**
 * ApiError: an error that is a Kubernetes metav1.Status. Everything the API server
 * rejects is thrown as one of these; anything else that escapes a handler is a bug and
 * becomes a 500 InternalError.
 */
import type { FieldError } from '../api/types.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    // Field order as apimachinery serializes a Status: details before code.
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

/** Resource name as Kubernetes prints it in messages: "deployments.apps", "pods". */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  notFound(group: string, plural: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, { name, group: group || undefined, kind: plural });
  },
  alreadyExists(group: string, plural: string, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedResource(group, plural)} "${name}" already exists`, { name, group: group || undefined, kind: plural });
  },
  conflict(group: string, plural: string, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`, { name, group: group || undefined, kind: plural });
  },
  /** 422 Invalid with one cause per field error: `Kind.group "name" is invalid: field: Invalid value: ...`. */
  invalid(group: string, kind: string, name: string, errs: FieldError[]): ApiError {
    const causes = errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
    const what = group ? `${kind}.${group}` : kind;
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const msg = `${what} "${name}" is invalid: ${list.length === 1 ? list[0] : '[' + list.join(', ') + ']'}`;
    return new ApiError(422, 'Invalid', msg, { name, group: group || undefined, kind, causes });
  },
  badRequest(message: string, causes?: StatusCause[]): ApiError {
    return new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(group: string, plural: string, name: string, why: string): ApiError {
    const res = qualifiedResource(group, plural);
    return new ApiError(403, 'Forbidden', `${res}${name ? ` "${name}"` : ''} is forbidden: ${why}`, { name, group: group || undefined, kind: plural });
  },
  methodNotSupported(plural: string, verb: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${plural}"`, { kind: plural });
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`, { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] });
  },
  tooLarge(): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  },
  internal(err: unknown): ApiError {
    const msg = err instanceof Error ? err.message : String(err);
    return new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] }, { cause: err });
  },
  timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', message);
  },
};

/** Formats a field error's message as Kubernetes' field.Error.ErrorBody does. */
export function fieldErrorMessage(e: FieldError): string {
  const v = e.value;
  if (e.valueText !== undefined && e.type === 'FieldValueInvalid') return `Invalid value: ${e.valueText}${e.detail ? ': ' + e.detail : ''}`;
  // Go prints a []string value with %#v: []string{"a", "b"}.
  const show = (x: unknown) =>
    typeof x === 'string' ? JSON.stringify(x) : Array.isArray(x) && x.every((i) => typeof i === 'string') ? `[]string{${x.map((i) => JSON.stringify(i)).join(', ')}}` : typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x);
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueForbidden':
      return `Forbidden${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueTooLong':
      return `Too long${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueTooMany':
      return `Too many${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueNotFound':
      return `Not found: ${show(v)}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${show(v)}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${show(v)}${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueTypeInvalid':
      return `Invalid value: ${show(v)}${e.detail ? ': ' + e.detail : ''}`;
    case 'FieldValueInvalid':
    default:
      return `Invalid value: ${show(v)}${e.detail ? ': ' + e.detail : ''}`;
  }
}
