/**
 * Parses an API path into what it addresses, as kube-apiserver's RequestInfoFactory:
 *   /api/v1/namespaces/{ns}/pods/{name}/status
 *   /apis/{group}/{version}/{plural}
 *   /api/v1/watch/namespaces/{ns}/pods (legacy watch paths)
 */

export interface RequestInfo {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** Path used the deprecated /watch/ prefix. */
  legacyWatch: boolean;
}

export type PathKind = { type: 'resource'; info: RequestInfo } | { type: 'group-version'; group: string; version: string } | { type: 'api-root' } | { type: 'apis-root' } | { type: 'group'; group: string } | { type: 'other' };

export function parsePath(path: string): PathKind {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let i: number;
  let group: string;
  let version: string;
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'api-root' };
    group = '';
    version = parts[1];
    i = 2;
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'apis-root' };
    if (parts.length === 2) return { type: 'group', group: parts[1] };
    group = parts[1];
    version = parts[2];
    i = 3;
  } else return { type: 'other' };
  if (i >= parts.length) return { type: 'group-version', group, version };
  let legacyWatch = false;
  if (parts[i] === 'watch') {
    legacyWatch = true;
    i++;
  }
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const plural = parts[i];
  if (!plural) return { type: 'other' };
  const name = parts[i + 1];
  const subresource = parts[i + 2];
  if (parts.length > i + 3) return { type: 'other' };
  // /api/v1/namespaces/{name}[/status|/finalize] addresses the namespace itself.
  return { type: 'resource', info: { group, version, namespace, plural, name, subresource, legacyWatch } };
}
