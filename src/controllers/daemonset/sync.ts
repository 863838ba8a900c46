/**
 * syncDaemonSet: one daemon pod on every node the DaemonSet should run on, none
 * elsewhere; failed daemon pods are replaced; extra pods on one node are deleted (the
 * oldest is kept). RollingUpdate replaces pods of older revisions node by node within
 * maxUnavailable (and, with maxSurge, starts the new pod before the old one goes);
 * OnDelete replaces them only when a user deletes them. Status is what `kubectl get ds`
 * and `kubectl rollout status ds` read.
 */
import type { ResourceClient } from '../../client/resource.js';
import { isAlreadyExists, isNotFound } from '../../client/rest.js';
import { claimObjects } from '../common/claim.js';
import type { EventRecorder } from '../common/events.js';
import { isPodAvailable, isPodReady, podFromTemplate } from '../common/pods.js';
import { revisionObject, templateHash } from '../common/revisions.js';
import { intOrPercent, nodeOfPod, pinToNode, shouldRunOn, withDaemonTolerations } from './placement.js';

export interface DsSyncDeps {
  pods: ResourceClient;
  daemonsets: ResourceClient;
  revisions: ResourceClient;
  listPods: (ns: string) => any[];
  listNodes: () => any[];
  listRevisions: (ns: string) => any[];
  recorder: EventRecorder;
  now: () => number;
}

const terminal = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

async function ensureRevision(d: DsSyncDeps, ds: any, hash: string): Promise<void> {
  const mine = d.listRevisions(ds.metadata.namespace).filter((r) => (r.metadata.ownerReferences ?? []).some((o: any) => o.uid === ds.metadata.uid));
  const cur = mine.find((r) => r.metadata.labels?.['controller-revision-hash'] === hash);
  const max = Math.max(0, ...mine.map((r) => Number(r.revision ?? 0)));
  if (!cur) {
    try {
      await d.revisions.create(revisionObject({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata }, ds.spec.template, max + 1, ds.spec.selector?.matchLabels ?? {}));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  } else if (Number(cur.revision) < max) {
    // Rolling back to an older template makes its revision the newest.
    await d.revisions.patch(cur.metadata.namespace, cur.metadata.name, 'merge', { revision: max + 1 });
  }
  const limit = ds.spec.revisionHistoryLimit ?? 10;
  const old = mine.filter((r) => r.metadata.labels?.['controller-revision-hash'] !== hash).sort((a, b) => Number(a.revision) - Number(b.revision));
  const livePods = new Set(d.listPods(ds.metadata.namespace).map((p) => p.metadata.labels?.['controller-revision-hash']));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    if (livePods.has(r.metadata.labels?.['controller-revision-hash'])) continue;
    await d.revisions.delete(r.metadata.namespace, r.metadata.name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}

export async function syncDaemonSet(d: DsSyncDeps, ds: any | undefined): Promise<void | { requeueAfterMs: number }> {
  if (!ds || ds.metadata.deletionTimestamp) return;
  const hash = templateHash(ds.spec.template);
  await ensureRevision(d, ds, hash);
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
  const pods = await claimObjects({ owner, selector: ds.spec.selector, client: d.pods, candidates: d.listPods(ds.metadata.namespace) });
  const byNode = new Map<string, any[]>();
  for (const p of pods) {
    const n = nodeOfPod(p);
    if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const nodes = d.listNodes();
  const minReady = ds.spec.minReadySeconds ?? 0;
  const now = d.now();
  const creates: string[] = [];
  const deletes: any[] = [];
  const wanted = nodes.filter((n) => shouldRunOn(ds, n));
  const wantedNames = new Set(wanted.map((n) => n.metadata.name));
  for (const [node, list] of byNode) if (!wantedNames.has(node)) deletes.push(...list.filter((p) => !p.metadata.deletionTimestamp));
  for (const n of wanted) {
    const name = n.metadata.name;
    const list = (byNode.get(name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
    const failed = list.filter((p) => p.status?.phase === 'Failed');
    deletes.push(...failed);
    const alive = list.filter((p) => !terminal(p)).sort((a, b) => Date.parse(a.metadata.creationTimestamp) - Date.parse(b.metadata.creationTimestamp));
    if (!alive.length && !(byNode.get(name) ?? []).some((p) => p.metadata.deletionTimestamp)) creates.push(name);
    else if (alive.length > 1) {
      // Keep one (a surge pair of old+new is resolved by the rolling update below).
      const surgePair = alive.length === 2 && alive.some((p) => p.metadata.labels?.['controller-revision-hash'] === hash) && alive.some((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
      if (!surgePair) deletes.push(...alive.slice(1));
    }
  }
  // Rolling update.
  if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
    const maxSurge = intOrPercent(ru.maxSurge, wanted.length, 0);
    const maxUnavailable = maxSurge > 0 ? intOrPercent(ru.maxUnavailable, wanted.length, 0) : Math.max(1, intOrPercent(ru.maxUnavailable, wanted.length, 1));
    let unavailable = 0;
    const oldAvailable: any[] = [];
    const surgeCandidates: string[] = [];
    for (const n of wanted) {
      const alive = (byNode.get(n.metadata.name) ?? []).filter((p) => !terminal(p) && !p.metadata.deletionTimestamp);
      const newPod = alive.find((p) => p.metadata.labels?.['controller-revision-hash'] === hash);
      const oldPod = alive.find((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
      const anyAvailable = alive.some((p) => isPodAvailable(p, minReady, now));
      if (!anyAvailable) unavailable++;
      if (oldPod && !newPod) {
        if (!isPodAvailable(oldPod, minReady, now)) deletes.push(oldPod);
        else if (maxSurge > 0) surgeCandidates.push(n.metadata.name);
        else oldAvailable.push(oldPod);
      } else if (oldPod && newPod && isPodAvailable(newPod, minReady, now)) deletes.push(oldPod);
    }
    if (maxSurge > 0) {
      const surging = wanted.filter((n) => (byNode.get(n.metadata.name) ?? []).filter((p) => !terminal(p)).length > 1).length;
      creates.push(...surgeCandidates.slice(0, Math.max(0, maxSurge - surging)));
    } else {
      deletes.push(...oldAvailable.slice(0, Math.max(0, maxUnavailable - unavailable)));
    }
  }
  const dsRef = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
  await Promise.all(
    creates.map(async (node) => {
      const pod = podFromTemplate(ds.spec.template, owner, { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) });
      pod.spec.affinity = pinToNode(pod.spec.affinity, node);
      pod.spec.tolerations = withDaemonTolerations(pod.spec.tolerations);
      const created = await d.pods.create(pod);
      d.recorder.event(dsRef, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }),
  );
  await Promise.all(
    [...new Set(deletes)].map(async (p) => {
      try {
        await d.pods.delete(p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
        d.recorder.event(dsRef, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }),
  );
  await writeStatus(d, ds, pods, wanted, hash, minReady, now);
  if (minReady > 0) return { requeueAfterMs: minReady * 1000 };
}

async function writeStatus(d: DsSyncDeps, ds: any, pods: any[], wanted: any[], hash: string, minReady: number, now: number): Promise<void> {
  const wantedNames = new Set(wanted.map((n) => n.metadata.name));
  const scheduledNodes = new Set<string>();
  let misscheduled = 0,
    ready = 0,
    available = 0,
    updated = 0;
  const seen = new Set<string>();
  for (const p of pods) {
    if (terminal(p) || !p.spec?.nodeName) continue;
    const n = p.spec.nodeName;
    if (!wantedNames.has(n)) {
      misscheduled++;
      continue;
    }
    if (seen.has(n)) continue;
    seen.add(n);
    scheduledNodes.add(n);
    if (isPodReady(p)) ready++;
    if (isPodAvailable(p, minReady, now)) available++;
    if (p.metadata.labels?.['controller-revision-hash'] === hash) updated++;
  }
  const status = {
    currentNumberScheduled: scheduledNodes.size,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: wanted.length,
    numberReady: ready,
    observedGeneration: ds.metadata.generation,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: Math.max(0, wanted.length - available),
  };
  const cur = ds.status ?? {};
  if (Object.entries(status).every(([k, v]) => (cur[k] ?? 0) === (v ?? 0))) return;
  try {
    await d.daemonsets.updateStatus({ ...ds, status: { ...cur, ...status } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
