/**
 * Resource arithmetic for scheduling: quantities to integers (cpu in millicores, memory
 * and storage in bytes), a pod's effective requests (the larger of the sum of its app
 * containers and its largest init container, plus overhead — as upstream), and the
 * non-zero defaults (100m cpu, 200Mi memory) scoring uses for pods that request nothing.
 */

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DEC: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes quantity ("100m", "1.5Gi", "2", "1e3") to a number of base units. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)([eE][+-]?[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  let v = Number(m[1]);
  if (m[2]) v *= 10 ** Number(m[2].slice(1));
  const suf = m[3] ?? '';
  return v * (BIN[suf] ?? DEC[suf] ?? 1);
}

export const milliCpu = (q: string | number | undefined) => Math.round(parseQuantity(q) * 1000);

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and other resources by name (e.g. nvidia.com/gpu, hugepages-2Mi). */
  scalar: Map<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() });

export function resourcesFromList(list: Record<string, string> | undefined): Resources {
  const r = emptyResources();
  for (const [k, v] of Object.entries(list ?? {})) {
    if (k === 'cpu') r.milliCPU = milliCpu(v);
    else if (k === 'memory') r.memory = parseQuantity(v);
    else if (k === 'ephemeral-storage') r.ephemeralStorage = parseQuantity(v);
    else if (k !== 'pods') r.scalar.set(k, parseQuantity(v));
  }
  return r;
}

export function addInto(a: Resources, b: Resources, sign = 1): void {
  a.milliCPU += sign * b.milliCPU;
  a.memory += sign * b.memory;
  a.ephemeralStorage += sign * b.ephemeralStorage;
  for (const [k, v] of b.scalar) a.scalar.set(k, (a.scalar.get(k) ?? 0) + sign * v);
}

function maxInto(a: Resources, b: Resources): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of b.scalar) a.scalar.set(k, Math.max(a.scalar.get(k) ?? 0, v));
}

/** The pod's effective requests (requests only: limits never affect scheduling). */
export function podRequests(pod: any): Resources {
  const sum = emptyResources();
  for (const c of pod.spec?.containers ?? []) addInto(sum, resourcesFromList(c.resources?.requests));
  const init = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    // Sidecars (restartPolicy Always) keep running: they add to the app containers.
    if (c.restartPolicy === 'Always') addInto(sum, resourcesFromList(c.resources?.requests));
    else maxInto(init, resourcesFromList(c.resources?.requests));
  }
  maxInto(sum, init);
  if (pod.spec?.overhead) addInto(sum, resourcesFromList(pod.spec.overhead));
  return sum;
}

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Requests with upstream's non-zero defaults for containers that request nothing (used for scoring). */
export function podNonZeroRequests(pod: any): { milliCPU: number; memory: number } {
  let cpu = 0,
    mem = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests ?? {};
    cpu += r.cpu !== undefined ? milliCpu(r.cpu) : DEFAULT_MILLI_CPU_REQUEST;
    mem += r.memory !== undefined ? parseQuantity(r.memory) : DEFAULT_MEMORY_REQUEST;
  }
  return { milliCPU: cpu, memory: mem };
}
