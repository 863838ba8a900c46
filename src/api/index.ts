/**
 * The registry of every built-in kind: buildRegistry() declares them (names, scope,
 * subresources, defaults, validation, table columns) and their OpenAPI schemas.
 */
import { Registry } from './registry.js';
import type { JSONSchema } from './types.js';
import { appsKinds } from './builtin/apps.js';
import { coreKinds } from './builtin/core.js';
import { storageKinds } from './builtin/storage.js';
import { otherKinds } from './builtin/other.js';
import { discoveryKinds } from './builtin/discovery.js';
import { policyKinds } from './builtin/policy.js';
import { quotaKinds } from './builtin/quota.js';
import { accessReviewKinds, rbacKinds } from './builtin/rbac.js';
import { metricsKinds } from './builtin/metrics.js';
import { autoscalingKinds } from './builtin/autoscaling.js';
import { registerSchemas } from './schemas.js';
import { customResourceDefinitions } from './builtin/apiextensions.js';

export { Registry } from './registry.js';
export * from './types.js';
export { validateObjectMeta } from './builtin/validation.js';

export function buildRegistry(): Registry {
  const reg = new Registry();
  for (const def of [...coreKinds, ...storageKinds, ...appsKinds, ...otherKinds, ...discoveryKinds, ...policyKinds, ...quotaKinds, ...rbacKinds, ...accessReviewKinds, ...metricsKinds, ...autoscalingKinds, customResourceDefinitions]) reg.register(def);
  registerSchemas(reg);
  for (const def of reg.all()) {
    if (!reg.definitions.has(def.schemaName)) {
      // Until a full schema is declared for the kind, accept any fields under it.
      const schema: JSONSchema = {
        type: 'object',
        description: `${def.kind} (${def.group || 'core'}/${def.version}).`,
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.kind }],
      };
      reg.define(def.schemaName, schema);
    }
  }
  return reg;
}
