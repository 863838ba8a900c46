/** An in-memory PodConfigSource for tests: objects by namespace/name, frozen like informer caches. */
import type { PodConfigSource } from './config-source.js';

export class FakeConfigSource implements PodConfigSource {
  readonly configMaps = new Map<string, any>();
  readonly secrets = new Map<string, any>();
  readonly services: any[] = [];
  allocatable: Record<string, string> = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };
  tokens: { audience?: string; expirationSeconds: number }[] = [];

  addConfigMap(namespace: string, name: string, data: Record<string, string>, binaryData?: Record<string, string>): this {
    this.configMaps.set(`${namespace}/${name}`, Object.freeze({ metadata: { namespace, name }, data, binaryData }));
    return this;
  }
  /** Plain-text values; stored base64 as on the wire. */
  addSecret(namespace: string, name: string, data: Record<string, string>): this {
    const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, Object.freeze({ metadata: { namespace, name }, data: b64 }));
    return this;
  }
  addService(namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]): this {
    this.services.push(Object.freeze({ metadata: { namespace, name }, spec: { clusterIP, ports } }));
    return this;
  }
  getConfigMap(ns: string, name: string) {
    return this.configMaps.get(`${ns}/${name}`);
  }
  getSecret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
  listServices(ns: string) {
    return this.services.filter((s) => s.metadata.namespace === ns);
  }
  nodeAllocatable() {
    return this.allocatable;
  }
  async serviceAccountToken(pod: any, req: { audience?: string; expirationSeconds: number }) {
    this.tokens.push(req);
    return `token-for-${pod.spec?.serviceAccountName ?? 'default'}-${this.tokens.length}`;
  }
}
