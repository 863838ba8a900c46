/**
 * The last of the disruption controller's scale finders (upstream's getScaleController):
 * for an owner that is not a Deployment, ReplicaSet or StatefulSet, find its resource
 * through discovery and read its `scale` subresource. As upstream: an owner kind the
 * server does not serve is an error ("no matches for kind"), one without a scale
 * subresource is an error ("jobs.batch does not implement the scale subresource"), an
 * owner that is gone (404) or was replaced (another uid) is not found.
 */
import { isNotFound, type RestClient } from '../../client/rest.js';
import type { ControllerScale, ScaleFinder } from './budget.js';

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export function scaleSubresourceFinder(rest: RestClient): ScaleFinder {
  return async (ref: any, namespace: string): Promise<ControllerScale | undefined> => {
    const apiVersion = String(ref.apiVersion ?? '');
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    const noMatch = new Error(`no matches for kind "${ref.kind}" in version "${apiVersion}"`);
    let list: any;
    try {
      list = await rest.request(groupVersionPath(apiVersion));
    } catch (err) {
      if (isNotFound(err)) throw noMatch;
      throw err;
    }
    const res = (list?.resources ?? []).find((r: any) => r.kind === ref.kind && !String(r.name).includes('/'));
    if (!res) throw noMatch;
    const names = new Set((list.resources ?? []).map((r: any) => r.name));
    if (!names.has(`${res.name}/scale`)) throw new Error(`${group ? `${res.name}.${group}` : res.name} does not implement the scale subresource`);
    let scale: any;
    try {
      scale = await rest.request(`${groupVersionPath(apiVersion)}/${res.namespaced ? `namespaces/${namespace}/` : ''}${res.name}/${ref.name}/scale`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return scale?.metadata?.uid === ref.uid ? { uid: ref.uid, scale: scale.spec?.replicas ?? 0 } : undefined;
  };
}
