// PATCH bodies by content type: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch.
import type { ResourceInfo } from './catalog';
import { applyJsonPatch, JsonPatchError } from './json-patch';
import { applyMergePatch } from './merge-patch';
import type { KubeObject } from './object';
import { isPlainObject } from './object';
import { rootNode } from './patch-meta';
import { ApiError, apiErrors } from './status';
import { applyStrategicMerge, StrategicMergeError } from './strategic-merge';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export const PATCH_TYPES: readonly string[] = Object.freeze([
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
  APPLY_PATCH,
]);

/** The 422 Kubernetes answers when a well-formed patch cannot be applied (a generic server response). */
function cannotApply(detail: string): ApiError {
  return new ApiError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {
      causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
    },
  );
}

export function patchMediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

export function applyPatch(
  contentType: string,
  original: KubeObject,
  patch: unknown,
  r: ResourceInfo,
): KubeObject {
  const type = patchMediaType(contentType);
  let result: unknown;
  switch (type) {
    case JSON_PATCH:
      try {
        result = applyJsonPatch(original, patch);
      } catch (err) {
        if (!(err instanceof JsonPatchError)) throw err;
        if (err.status === 400) throw apiErrors.badRequest(err.message);
        if (err.status === 413) throw apiErrors.tooLarge(err.message);
        throw cannotApply(err.message);
      }
      break;
    case MERGE_PATCH:
      if (!isPlainObject(patch)) throw apiErrors.badRequest('Invalid JSON Patch');
      result = applyMergePatch(original, patch);
      break;
    case STRATEGIC_MERGE_PATCH:
      // Custom resources have no Go types to carry merge keys: Kubernetes refuses the patch type.
      if (r.custom) {
        throw apiErrors.unsupportedMediaType(
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.filter((t) => t !== STRATEGIC_MERGE_PATCH).join(', ')}`,
        );
      }
      try {
        result = applyStrategicMerge(original, patch, rootNode(r.group, r.version, r.kind));
      } catch (err) {
        if (!(err instanceof StrategicMergeError)) throw err;
        throw err.status === 400 ? apiErrors.badRequest(err.message) : cannotApply(err.message);
      }
      break;
    default:
      throw apiErrors.unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
  }
  if (!isPlainObject(result)) throw cannotApply('the patched document is not a JSON object');
  if (!isPlainObject(result.metadata)) result.metadata = {};
  return result as KubeObject;
}
