/**
 * The nftables program for Service routing, in skiff's own table (`ip skiff`; nothing
 * else on the host is touched), shaped like kube-proxy's nftables mode:
 *  - verdict maps from ClusterIP/external IP . protocol . port, and from protocol .
 *    nodePort (for any local address but loopback), to a per-port chain;
 *  - per-port chains that DNAT new connections round robin (`numgen inc` into an
 *    inline map of endpoint address . port), so the rule count grows with Services, not
 *    endpoints; with ClientIP affinity, per-endpoint chains and timeout sets instead;
 *  - ports without endpoints listed in "no-endpoint" maps that reject at once;
 *  - masquerade only for connections that need it: from outside the pod network, to
 *    NodePorts/external IPs (traffic policy Cluster), and hairpin (a pod reaching itself,
 *    matched exactly by a set of endpoint-address pairs after DNAT).
 * The state is a set of chains, sets and map elements, so a change can be applied as a
 * small diff in one atomic transaction.
 */
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePort } from './model.js';

export const TABLE = 'skiff';
export const MASQ_MARK = '0x4000';

export interface NftState {
  chains: Map<string, string[]>;
  sets: Map<string, string>;
  /** map (or element set) name → element key → verdict ('' for a set) */
  maps: Map<string, Map<string, string>>;
}

const MAPS: Record<string, string> = {
  'service-ips': 'ipv4_addr . inet_proto . inet_service : verdict',
  'service-nodeports': 'inet_proto . inet_service : verdict',
  'no-endpoint-services': 'ipv4_addr . inet_proto . inet_service : verdict',
  'no-endpoint-nodeports': 'inet_proto . inet_service : verdict',
};
/** Element sets (no verdicts) that are diffed like the maps. */
const SETS: Record<string, string> = {
  'hairpin-pairs': 'ipv4_addr . ipv4_addr',
};

const LOCAL_NON_LOOPBACK = 'fib daddr type local ip daddr != 127.0.0.0/8';

/** The fixed skeleton: hooks, maps and helper chains. */
function baseChains(): [string, string[], string?][] {
  return [
    ['reject-chain', ['reject']],
    ['filter-services', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services', `${LOCAL_NON_LOOPBACK} meta l4proto . th dport vmap @no-endpoint-nodeports`]],
    ['filter-input', ['ct state new jump filter-services'], 'type filter hook input priority -110; policy accept;'],
    ['filter-forward', ['ct state new jump filter-services'], 'type filter hook forward priority -110; policy accept;'],
    ['filter-output', ['ct state new jump filter-services'], 'type filter hook output priority -110; policy accept;'],
    ['services', ['ip daddr . meta l4proto . th dport vmap @service-ips', `${LOCAL_NON_LOOPBACK} meta l4proto . th dport vmap @service-nodeports`]],
    ['nat-prerouting', ['jump services'], 'type nat hook prerouting priority dstnat; policy accept;'],
    ['nat-output', ['jump services'], 'type nat hook output priority -100; policy accept;'],
    ['mark-for-masquerade', [`meta mark set meta mark | ${MASQ_MARK}`]],
    ['masquerading', [`meta mark & ${MASQ_MARK} == 0 return`, `meta mark set meta mark xor ${MASQ_MARK}`, 'masquerade fully-random']],
    // Hairpin only for connections this table DNAT-ed: the pair alone would also match
    // every connection a host-network endpoint (the node's own address) makes to itself.
    ['nat-postrouting', ['ct status dnat ip saddr . ip daddr @hairpin-pairs masquerade', 'jump masquerading'], 'type nat hook postrouting priority srcnat; policy accept;'],
  ];
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const sepName = (id: string, e: Endpoint) => `sep-${id}-${short(`${e.ip}:${e.port}`)}`;

export interface RenderOptions {
  /** The pod network: connections to ClusterIPs from elsewhere (the node itself) are masqueraded. */
  clusterCidr: string;
}

/** An empty state with the fixed skeleton. */
export function baseState(): NftState {
  const st: NftState = { chains: new Map(), sets: new Map(), maps: new Map([...Object.keys(MAPS), ...Object.keys(SETS)].map((m) => [m, new Map()])) };
  for (const [name, rules] of baseChains()) st.chains.set(name, rules);
  return st;
}

/** What one Service port adds to the state: its chains, sets and map elements. */
export function portState(sp: ServicePort, o: RenderOptions): NftState {
  const st: NftState = { chains: new Map(), sets: new Map(), maps: new Map() };
  const el = (map: string, key: string, verdict: string) => {
    let m = st.maps.get(map);
    if (!m) st.maps.set(map, (m = new Map()));
    m.set(key, verdict);
  };
  const p = sp.protocol;
  // One chain spreading over a set of endpoints; shared by the paths that use the same set.
  const lb = (name: string, eps: Endpoint[], pre: string[]) => {
    // Loopback endpoints (the `kubernetes` endpoint of a server without a real node) never hairpin: masquerading
    // 127.0.0.1 to itself would rewrite the node's loopback connections, breaking those already open.
    for (const e of eps) if (!e.ip.startsWith('127.')) el('hairpin-pairs', `${e.ip} . ${e.ip}`, '');
    const rules = [...pre];
    if (!sp.affinitySeconds) {
      rules.push(eps.length === 1 ? `meta l4proto ${p} dnat to ${eps[0].ip}:${eps[0].port}` : `meta l4proto ${p} dnat ip addr . port to numgen inc mod ${eps.length} map { ${eps.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ')} }`);
      st.chains.set(name, rules);
      return;
    }
    // ClientIP affinity: a client seen recently goes back to its endpoint.
    for (const e of eps) rules.push(`ip saddr @aff-${sepName(sp.id, e)} goto ${sepName(sp.id, e)}`);
    rules.push(eps.length === 1 ? `goto ${sepName(sp.id, eps[0])}` : `numgen inc mod ${eps.length} vmap { ${eps.map((e, i) => `${i} : goto ${sepName(sp.id, e)}`).join(', ')} }`);
    st.chains.set(name, rules);
    for (const e of eps) {
      const sep = sepName(sp.id, e);
      if (st.chains.has(sep)) continue;
      st.sets.set(`aff-${sep}`, `type ipv4_addr; flags dynamic,timeout; timeout ${sp.affinitySeconds}s;`);
      st.chains.set(sep, [`update @aff-${sep} { ip saddr }`, `meta l4proto ${p} dnat to ${e.ip}:${e.port}`]);
    }
  };
  if (sp.clusterIP) {
    const key = `${sp.clusterIP} . ${p} . ${sp.port}`;
    if (sp.internal.length) {
      lb(`svc-${sp.id}`, sp.internal, [`ip saddr != ${o.clusterCidr} jump mark-for-masquerade`]);
      el('service-ips', key, `goto svc-${sp.id}`);
    } else el('no-endpoint-services', key, 'goto reject-chain');
  }
  const externalKeys = sp.externalIPs.map((ip) => `${ip} . ${p} . ${sp.port}`);
  if (!sp.nodePort && !externalKeys.length) return st;
  if (sp.external.length) {
    // Cluster policy: masquerade so replies come back through this node; Local keeps the client's address.
    lb(`ext-${sp.id}`, sp.external, sp.externalLocal ? [] : ['jump mark-for-masquerade']);
    if (sp.nodePort) el('service-nodeports', `${p} . ${sp.nodePort}`, `goto ext-${sp.id}`);
    for (const k of externalKeys) el('service-ips', k, `goto ext-${sp.id}`);
  } else {
    if (sp.nodePort) el('no-endpoint-nodeports', `${p} . ${sp.nodePort}`, 'goto reject-chain');
    for (const k of externalKeys) el('no-endpoint-services', k, 'goto reject-chain');
  }
  return st;
}

/** Adds a part to a state (parts never share chain or set names, only the maps). */
export function mergeInto(st: NftState, part: NftState): void {
  for (const [k, v] of part.chains) st.chains.set(k, v);
  for (const [k, v] of part.sets) st.sets.set(k, v);
  for (const [name, m] of part.maps) {
    let into = st.maps.get(name);
    if (!into) st.maps.set(name, (into = new Map()));
    for (const [k, v] of m) into.set(k, v);
  }
}

/** The whole desired state for these Service ports. */
export function desiredState(ports: ServicePort[], o: RenderOptions): NftState {
  const st = baseState();
  for (const sp of ports) mergeInto(st, portState(sp, o));
  return st;
}

const element = (k: string, v: string) => (v ? `${k} : ${v}` : k);

function elements(m: Map<string, string>): string {
  return [...m].map(([k, v]) => element(k, v)).join(', ');
}

/** The full program: replaces the table atomically (existing connections keep their NAT state). */
export function renderFull(st: NftState): string {
  const hooks = new Map(baseChains().filter((c) => c[2]).map((c) => [c[0], c[2]!]));
  const out: string[] = [`add table ip ${TABLE}`, `delete table ip ${TABLE}`, `table ip ${TABLE} {`];
  for (const [name, type] of Object.entries(MAPS)) out.push(`  map ${name} { type ${type}; }`);
  for (const [name, type] of Object.entries(SETS)) out.push(`  set ${name} { type ${type}; }`);
  for (const [name, def] of st.sets) out.push(`  set ${name} { ${def} }`);
  // Declare every chain first so jumps may point forward.
  for (const name of st.chains.keys()) out.push(`  chain ${name} { ${hooks.get(name) ?? ''} }`);
  out.push('}');
  for (const [name, rules] of st.chains) for (const r of rules) out.push(`add rule ip ${TABLE} ${name} ${r}`);
  for (const [name, m] of st.maps) if (m.size) out.push(`add element ip ${TABLE} ${name} { ${elements(m)} }`);
  return out.join('\n') + '\n';
}

/** The transaction taking `from` to `to`, or '' when nothing changed. */
export function renderDiff(from: NftState, to: NftState): string {
  const out: string[] = [];
  const T = `ip ${TABLE}`;
  for (const [name, def] of to.sets) if (!from.sets.has(name)) out.push(`add set ${T} ${name} { ${def} }`);
  const changed: string[] = [];
  for (const [name, rules] of to.chains) {
    const old = from.chains.get(name);
    if (!old) out.push(`add chain ${T} ${name}`);
    if (!old || old.join('\n') !== rules.join('\n')) changed.push(name);
  }
  for (const name of changed) {
    if (from.chains.has(name)) out.push(`flush chain ${T} ${name}`);
    for (const r of to.chains.get(name)!) out.push(`add rule ${T} ${name} ${r}`);
  }
  for (const [map, want] of to.maps) {
    const have = from.maps.get(map) ?? new Map();
    const del = [...have.keys()].filter((k) => want.get(k) !== have.get(k));
    const add = [...want.keys()].filter((k) => have.get(k) !== want.get(k));
    if (del.length) out.push(`delete element ${T} ${map} { ${del.join(', ')} }`);
    if (add.length) out.push(`add element ${T} ${map} { ${add.map((k) => element(k, want.get(k)!)).join(', ')} }`);
  }
  const gone = [...from.chains.keys()].filter((n) => !to.chains.has(n));
  for (const name of gone) out.push(`flush chain ${T} ${name}`);
  for (const name of gone) out.push(`delete chain ${T} ${name}`);
  for (const name of from.sets.keys()) if (!to.sets.has(name)) out.push(`delete set ${T} ${name}`);
  return out.length ? out.join('\n') + '\n' : '';
}
