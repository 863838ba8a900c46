/** The patch machinery: JSON patch, merge patch, strategic merge patch, server-side apply. */
export { applyJsonPatch, applyMergePatch } from './json-patch.js';
export { applyStrategicMergePatch } from './strategic.js';
export { serverSideApply, recordManagedFields, fieldSet, toFieldsV1, fromFieldsV1, printPath } from './managed-fields.js';
