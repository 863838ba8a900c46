/**
 * Authorization attributes of a request, as kube-apiserver's RequestInfoFactory derives
 * them: the verb from the method (GET → get, list or watch; POST → create; PUT → update;
 * PATCH → patch; DELETE → delete or deletecollection), a namespace's own path naming the
 * namespace (so a RoleBinding there may grant `get namespaces`), a list or watch selecting
 * one object by metadata.name naming it; other paths are non-resource URLs with the
 * lower-cased method as verb.
 */
import type { UserInfo } from '../handler.js';
import type { RequestInfo } from '../request-info.js';
import type { Attributes } from './rules.js';

export function resourceAttributes(user: UserInfo, method: string, info: RequestInfo, query: URLSearchParams): Attributes {
  const isWatch = info.legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1';
  let name = info.name;
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = isWatch ? 'watch' : name === undefined ? 'list' : 'get';
      if ((verb === 'list' || verb === 'watch') && name === undefined) {
        const m = /^metadata\.name==?([^,]+)$/.exec(query.get('fieldSelector') ?? '');
        if (m) name = m[1];
      }
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      verb = method.toLowerCase();
  }
  const namespace = !info.group && info.plural === 'namespaces' && info.name ? info.name : info.namespace;
  return { user, verb, resourceRequest: true, apiGroup: info.group, resource: info.plural, subresource: info.subresource, name, namespace };
}

export function nonResourceAttributes(user: UserInfo, method: string, path: string): Attributes {
  return { user, verb: method.toLowerCase(), resourceRequest: false, path };
}
