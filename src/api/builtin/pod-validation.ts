/** ValidatePodSpec essentials and the pod update rule (most of a pod's spec is immutable). */
import type { FieldError } from '../types.js';
import { parseQuantity } from '../../scheduler/framework/resources.js';
import { dns1123Label, invalid, notSupported, required, forbidden } from './validation.js';
import { resourceRequirementErrors } from './resource-requirements.js';

function validateContainers(list: any[] | undefined, field: string, names: Set<string>, out: FieldError[]): void {
  (list ?? []).forEach((c: any, i: number) => {
    const f = `${field}[${i}]`;
    if (!c?.name) out.push(required(`${f}.name`));
    else {
      for (const m of dns1123Label(c.name)) out.push(invalid(`${f}.name`, c.name, m));
      if (names.has(c.name)) out.push({ type: 'FieldValueDuplicate', field: `${f}.name`, value: c.name, detail: '' });
      names.add(c.name);
    }
    if (!c?.image || !String(c.image).trim()) out.push(required(`${f}.image`));
    if (c?.imagePullPolicy && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) out.push(notSupported(`${f}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    out.push(...resourceRequirementErrors(c?.resources, `${f}.resources`));
    (c?.ports ?? []).forEach((p: any, j: number) => {
      const pf = `${f}.ports[${j}]`;
      if (!(p.containerPort >= 1 && p.containerPort <= 65535)) out.push(invalid(`${pf}.containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
      if (p.hostPort !== undefined && p.hostPort !== 0 && !(p.hostPort >= 1 && p.hostPort <= 65535)) out.push(invalid(`${pf}.hostPort`, p.hostPort, 'must be between 1 and 65535, inclusive'));
      if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`${pf}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    });
  });
}

export function validatePodSpec(spec: any, field: string, o: { restartPolicies?: string[] } = {}): FieldError[] {
  const out: FieldError[] = [];
  if (!spec) return [required(field)];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) out.push(required(`${field}.containers`));
  const names = new Set<string>();
  validateContainers(spec.containers, `${field}.containers`, names, out);
  validateContainers(spec.initContainers, `${field}.initContainers`, names, out);
  const rp = o.restartPolicies ?? ['Always', 'OnFailure', 'Never'];
  if (spec.restartPolicy !== undefined && !rp.includes(spec.restartPolicy)) out.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, rp));
  const dns = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (spec.dnsPolicy !== undefined && !dns.includes(spec.dnsPolicy)) out.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, dns));
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) out.push(invalid(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  if (spec.activeDeadlineSeconds !== undefined && !(spec.activeDeadlineSeconds > 0)) out.push(invalid(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  const vols = new Set<string>();
  (spec.volumes ?? []).forEach((v: any, i: number) => {
    if (!v?.name) out.push(required(`${field}.volumes[${i}].name`));
    else if (vols.has(v.name)) out.push({ type: 'FieldValueDuplicate', field: `${field}.volumes[${i}].name`, value: v.name, detail: '' });
    else vols.add(v.name);
  });
  return out;
}

/** Upstream: a pod update may change only images, activeDeadlineSeconds, tolerations (additions) and terminationGracePeriodSeconds. */
export function validatePodUpdate(pod: any, old: any): FieldError[] {
  const strip = (spec: any) => {
    const s = structuredClone(spec ?? {});
    for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.terminationGracePeriodSeconds;
    delete s.nodeName; // set through pods/binding
    delete s.schedulingGates;
    return JSON.stringify(s);
  };
  if (strip(pod.spec) !== strip(old.spec)) {
    return [forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
  }
  if (old.spec?.nodeName && pod.spec?.nodeName !== old.spec.nodeName) return [forbidden('spec.nodeName', 'field is immutable once set')];
  return [];
}

/**
 * QoS class as upstream's ComputePodQOS: only cpu and memory count, zero quantities are
 * ignored; requests and limits are summed over app and init containers. No requests
 * and no limits: BestEffort. Guaranteed when every container limits both cpu and memory
 * and the summed requests equal the summed limits for each resource; else Burstable.
 */
export function qosClass(spec: any): string {
  const cs = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  const qty = (v: unknown) => {
    try {
      return parseQuantity(v as string);
    } catch {
      return 0;
    }
  };
  let guaranteed = true;
  for (const c of cs) {
    for (const [name, v] of Object.entries(c.resources?.requests ?? {})) {
      const n = qty(v);
      if ((name === 'cpu' || name === 'memory') && n > 0) requests.set(name, (requests.get(name) ?? 0) + n);
    }
    const found = new Set<string>();
    for (const [name, v] of Object.entries(c.resources?.limits ?? {})) {
      const n = qty(v);
      if ((name === 'cpu' || name === 'memory') && n > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + n);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) for (const [name, r] of requests) if (Math.abs((limits.get(name) ?? NaN) - r) > 1e-9 * Math.max(1, r)) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
