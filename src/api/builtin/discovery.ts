/** discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service, written by the EndpointSlice controller (or by a user for selector-less Services). */
import type { FieldError, ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';
import { immutable, invalid, notSupported, required } from './validation.js';

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];
/** Upstream's limits: 1000 endpoints and 100 ports per slice. */
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 100;

function firstThree(items: string[]): string {
  if (!items.length) return '<unset>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function validateSlice(o: any): FieldError[] {
  const out: FieldError[] = [];
  if (!o.addressType) out.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(o.addressType)) out.push(notSupported('addressType', o.addressType, ADDRESS_TYPES));
  const eps: any[] = o.endpoints ?? [];
  if (!Array.isArray(eps)) return [...out, invalid('endpoints', eps, 'must be a list')];
  if (eps.length > MAX_ENDPOINTS) out.push({ type: 'FieldValueTooMany', field: 'endpoints', value: eps.length, detail: `must have at most ${MAX_ENDPOINTS} items` });
  eps.forEach((e, i) => {
    const addrs: any[] = e?.addresses ?? [];
    if (!addrs.length) out.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) out.push({ type: 'FieldValueTooMany', field: `endpoints[${i}].addresses`, value: addrs.length, detail: 'must have at most 100 items' });
    addrs.forEach((a, j) => {
      const ok = o.addressType === 'IPv4' ? /^(\d{1,3})(\.\d{1,3}){3}$/.test(a) && a.split('.').every((x: string) => +x <= 255) : o.addressType === 'IPv6' ? typeof a === 'string' && a.includes(':') : typeof a === 'string' && a.length > 0;
      if (!ok) out.push(invalid(`endpoints[${i}].addresses[${j}]`, a, `must be a valid ${o.addressType} address`));
    });
  });
  const ports: any[] = o.ports ?? [];
  if (ports.length > MAX_PORTS) out.push({ type: 'FieldValueTooMany', field: 'ports', value: ports.length, detail: `must have at most ${MAX_PORTS} items` });
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const name = p?.name ?? '';
    if (names.has(name)) out.push({ type: 'FieldValueDuplicate', field: `ports[${i}].name`, value: name, detail: '' });
    names.add(name);
    if (p?.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`ports[${i}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (p?.port !== undefined && p?.port !== null && !(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535)) out.push(invalid(`ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
  });
  return out;
}

export const endpointslices = kind({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  nameValidation: 'subdomain',
  columns: [col('AddressType', 'The IP protocol for this slice'), col('Ports', 'The ports for this slice'), col('Endpoints', 'First 3 endpoints for this slice')],
  cells: (o) => [o.addressType ?? '', firstThree((o.ports ?? []).map((p: any) => (p.port === undefined || p.port === null ? '<unset>' : String(p.port)))), firstThree((o.endpoints ?? []).flatMap((e: any) => e.addresses ?? []))],
  defaults: (o) => {
    for (const p of o.ports ?? []) {
      p.protocol ??= 'TCP';
      p.name ??= '';
    }
  },
  validate: (o, ctx) => {
    const out = validateSlice(o);
    if (ctx.old && ctx.operation === 'update' && o.addressType !== ctx.old.addressType) out.push(immutable('addressType', o.addressType));
    return out;
  },
});

export const discoveryKinds: ResourceDef[] = [endpointslices];
