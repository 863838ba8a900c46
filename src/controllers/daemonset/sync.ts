/**
 * syncDaemonSet (upstream's daemon controller): one daemon pod on every node the
 * DaemonSet should run on, none where it may not continue running. Creates and deletes
 * are guarded by expectations, so a burst of events never doubles a pod. Failed daemon
 * pods are replaced after a per-node back-off (upstream fights a kubelet that rejects
 * pods the same way); extra pods on a node are deleted, the oldest kept. Then the
 * RollingUpdate strategy (rolling.ts) runs; OnDelete leaves old pods to the user.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isNotFound } from '../../client/rest.js';
import { keyOf } from '../../client/cache.js';
import { claimObjects } from '../common/claim.js';
import type { EventRecorder } from '../common/events.js';
import type { Expectations } from '../common/expectations.js';
import { isPodAvailable, isPodReady, podFromTemplate } from '../common/pods.js';
import { cleanupHistory, constructHistory } from './history.js';
import { nodeOfPod, nodeShouldRunDaemonPod, pinToNode, surgeAndUnavailable, withDaemonTolerations } from './placement.js';
import { revisionHash, rollingUpdate, type NodePods } from './rolling.js';

export interface DsSyncDeps {
  pods: ResourceClient;
  daemonsets: ResourceClient;
  revisions: ResourceClient;
  listPods: (ns: string) => any[];
  listNodes: () => any[];
  listRevisions: (ns: string) => any[];
  expectations: Expectations;
  /** Failed-pod back-off per `<ds key>/<node>`. */
  backoff: Map<string, { delayMs: number; at: number }>;
  recorder: EventRecorder;
  now: () => number;
}

const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;
const terminal = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Oldest first, scheduled and running before the rest (podByCreationTimestampAndPhase). */
function byAgeAndPhase(a: any, b: any): number {
  if (!!a.spec?.nodeName !== !!b.spec?.nodeName) return a.spec?.nodeName ? -1 : 1;
  const ar = a.status?.phase === 'Running',
    br = b.status?.phase === 'Running';
  if (ar !== br) return ar ? -1 : 1;
  return Date.parse(a.metadata.creationTimestamp ?? 0) - Date.parse(b.metadata.creationTimestamp ?? 0) || String(a.metadata.name).localeCompare(b.metadata.name);
}

interface Plan {
  creates: string[];
  deletes: any[];
  /** Pods of nodes that are gone: deleted at once (grace 0), as the pod GC does. */
  orphaned: Set<any>;
  requeueAfterMs?: number;
}

/** podsShouldBeOnNode for every node, plus pods pinned to nodes that no longer exist. */
function manage(d: DsSyncDeps, key: string, ds: any, nodes: any[], byNode: Map<string, any[]>, hash: string): Plan {
  const plan: Plan = { creates: [], deletes: [], orphaned: new Set() };
  const surge = surgeAndUnavailable(ds, nodes.length).maxSurge > 0 && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const now = d.now();
  for (const node of nodes) {
    const name = node.metadata.name;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds, node);
    const pods = byNode.get(name) ?? [];
    if (shouldRun && !pods.length) {
      plan.creates.push(name);
      continue;
    }
    if (!shouldContinueRunning) {
      plan.deletes.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
      continue;
    }
    const running: any[] = [];
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') {
        const bk = `${key}/${name}`;
        const b = d.backoff.get(bk);
        if (b && now - b.at < b.delayMs) {
          plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, b.delayMs - (now - b.at));
          continue;
        }
        d.backoff.set(bk, { delayMs: b ? Math.min(b.delayMs * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS, at: now });
        d.recorder.event({ ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to kill it`);
        plan.deletes.push(p);
      } else if (p.status?.phase === 'Succeeded') plan.deletes.push(p);
      else running.push(p);
    }
    if (running.length <= 1) continue;
    running.sort(byAgeAndPhase);
    if (!surge) {
      plan.deletes.push(...running.slice(1));
      continue;
    }
    // With surge, an old ready pod and a new not-yet-ready one may coexist; every other extra goes.
    const oldest = running.find((p) => revisionHash(p) !== hash);
    const newest = running.find((p) => revisionHash(p) === hash);
    const keep = new Set<any>();
    if (newest) keep.add(newest);
    if (oldest && newest && isPodReady(oldest) && !isPodReady(newest)) keep.add(oldest);
    if (!newest && oldest) keep.add(oldest);
    plan.deletes.push(...running.filter((p) => !keep.has(p)));
  }
  // Pods pinned to a node that is gone. (Upstream the pod GC removes bound pods of deleted
  // nodes, with grace 0 since no kubelet is left to confirm; skiff has no pod GC yet, so the
  // DaemonSet removes its own the same way.)
  const names = new Set(nodes.map((n) => n.metadata.name));
  for (const [node, pods] of byNode) {
    if (names.has(node)) continue;
    for (const p of pods) if (!p.metadata.deletionTimestamp || p.metadata.deletionGracePeriodSeconds !== 0) plan.orphaned.add(p);
  }
  return plan;
}

export async function syncDaemonSet(d: DsSyncDeps, key: string, ds: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!ds) {
    d.expectations.delete(key);
    return;
  }
  if (ds.metadata.deletionTimestamp) return;
  const { old, hash } = await constructHistory(d, ds);
  // Expectations are read before the pods are listed: a create observed in between would
  // otherwise count as seen while missing from the list, and be made again.
  const satisfied = d.expectations.satisfied(key);
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
  const pods = await claimObjects({ owner, selector: ds.spec.selector, client: d.pods, candidates: d.listPods(ds.metadata.namespace) });
  const byNode = new Map<string, any[]>();
  for (const p of pods) {
    const n = nodeOfPod(p);
    if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const nodes = d.listNodes();
  let requeue: number | undefined;
  if (satisfied) {
    const plan = manage(d, key, ds, nodes, byNode, hash);
    requeue = plan.requeueAfterMs;
    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const eligible: NodePods[] = nodes
        .filter((n) => nodeShouldRunDaemonPod(ds, n).shouldRun)
        .map((n) => ({ node: n.metadata.name, pods: (byNode.get(n.metadata.name) ?? []).filter((p) => !terminal(p)) }));
      const { maxSurge, maxUnavailable } = surgeAndUnavailable(ds, eligible.length);
      const r = rollingUpdate({ nodes: eligible, hash, maxSurge, maxUnavailable, minReadySeconds: ds.spec.minReadySeconds ?? 0, now: d.now() });
      plan.deletes.push(...r.deletes);
      plan.creates.push(...r.createOn);
    }
    await syncNodes(d, key, ds, plan, hash);
    await cleanupHistory(d, ds, old, pods);
  }
  await writeStatus(d, ds, nodes, byNode, hash, satisfied);
  const minReady = ds.spec.minReadySeconds ?? 0;
  if (minReady > 0) requeue = Math.min(requeue ?? Infinity, minReady * 1000);
  if (requeue !== undefined) return { requeueAfterMs: requeue };
}

async function syncNodes(d: DsSyncDeps, key: string, ds: any, plan: Plan, hash: string): Promise<void> {
  const creates = [...new Set(plan.creates)];
  const deletes = [...new Set([...plan.deletes, ...plan.orphaned])];
  if (!creates.length && !deletes.length) return;
  d.expectations.expect(key, creates.length, deletes.map(keyOf));
  const ref = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
  const errors: unknown[] = [];
  await Promise.all([
    ...creates.map(async (node) => {
      const pod = podFromTemplate(ds.spec.template, owner, { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) });
      pod.spec.affinity = pinToNode(pod.spec.affinity, node);
      pod.spec.tolerations = withDaemonTolerations(pod.spec.tolerations, !!pod.spec.hostNetwork);
      try {
        const created = await d.pods.create(pod);
        d.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        d.expectations.creationObserved(key);
        d.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        errors.push(err);
      }
    }),
    ...deletes.map(async (p) => {
      try {
        await d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid }, ...(plan.orphaned.has(p) ? { gracePeriodSeconds: 0 } : {}) });
        d.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        d.expectations.deletionObserved(key, keyOf(p));
        if (!isNotFound(err)) errors.push(err);
      }
    }),
  ]);
  if (errors.length) throw errors[0];
}

/** updateDaemonSetStatus: counted per node, from the oldest daemon pod on each. */
async function writeStatus(d: DsSyncDeps, ds: any, nodes: any[], byNode: Map<string, any[]>, hash: string, observed: boolean): Promise<void> {
  const minReady = ds.spec.minReadySeconds ?? 0;
  const now = d.now();
  let desired = 0,
    current = 0,
    ready = 0,
    available = 0,
    updated = 0,
    misscheduled = 0;
  for (const node of nodes) {
    // Terminal pods that are already being deleted no longer count (includeDeletedTerminal=false).
    const pods = (byNode.get(node.metadata.name) ?? []).filter((p) => !(p.metadata.deletionTimestamp && terminal(p)));
    if (!nodeShouldRunDaemonPod(ds, node).shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const p = [...pods].sort(byAgeAndPhase)[0];
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    if (revisionHash(p) === hash) updated++;
  }
  const cur = ds.status ?? {};
  const status: any = {
    ...cur,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: observed ? ds.metadata.generation : cur.observedGeneration,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  // Upstream omits zero counts (omitempty) for the optional fields.
  for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) if (!status[k]) delete status[k];
  if (JSON.stringify(status) === JSON.stringify(cur)) return;
  try {
    await d.daemonsets.updateStatus({ ...ds, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
