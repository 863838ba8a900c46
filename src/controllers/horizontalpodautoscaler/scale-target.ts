/**
 * The HPA's scale target through its scale subresource (autoscaling/v1 Scale), as
 * upstream's scaleForResourceMappings: the kind found in discovery of the reference's
 * group/version, then GET and PUT of <resource>/<name>/scale.
 */
import { isNotFound, type RestClient } from '../../client/rest.js';

function gvPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class ScaleTargets {
  private readonly resources = new Map<string, string>();
  constructor(private readonly rest: RestClient) {}

  private async scalePath(ref: any, namespace: string): Promise<string> {
    const apiVersion = String(ref.apiVersion ?? '');
    const key = `${apiVersion}/${ref.kind}`;
    let plural = this.resources.get(key);
    if (!plural) {
      const noMatch = new Error(`no matches for kind "${ref.kind}" in group "${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}"`);
      let list: any;
      try {
        list = await this.rest.request(gvPath(apiVersion));
      } catch (err) {
        if (isNotFound(err)) throw noMatch;
        throw err;
      }
      const res = (list?.resources ?? []).find((r: any) => r.kind === ref.kind && !String(r.name).includes('/'));
      if (!res) throw noMatch;
      plural = res.name as string;
      this.resources.set(key, plural);
    }
    return `${gvPath(apiVersion)}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(ref.name)}/scale`;
  }

  async get(ref: any, namespace: string): Promise<any> {
    return this.rest.request(await this.scalePath(ref, namespace));
  }

  async update(ref: any, namespace: string, scale: any, replicas: number): Promise<any> {
    return this.rest.request(await this.scalePath(ref, namespace), { method: 'PUT', body: { ...scale, spec: { ...scale.spec, replicas } } });
  }
}
