/**
 * The scheduler: pods that ask for one of its profiles (spec.schedulerName) wait in the
 * scheduling queue; each scheduling cycle runs PreFilter, Filter (on enough nodes, starting
 * where the last cycle stopped), PostFilter (preemption) when nothing fits, PreScore and
 * Score, then assumes the pod on the chosen node and binds it asynchronously. A pod that
 * cannot be placed gets PodScheduled=False/Unschedulable and a FailedScheduling event.
 * Pods for other schedulers are left alone.
 */
import type { Clientset, InformerFactory } from '../client/clientset.js';
import { keyOf } from '../client/cache.js';
import { isConflict, isNotFound } from '../client/rest.js';
import { EventRecorder } from '../controllers/common/events.js';
import type { Logger } from '../util/log.js';
import { SchedulerCache } from './cache.js';
import { fitErrorMessage } from './failure.js';
import type { Framework } from './framework/framework.js';
import { Code, Status, type NodeScore } from './framework/types.js';
import { buildProfiles } from './profile.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';

export interface SchedulerOptions {
  cs: Clientset;
  informers: InformerFactory;
  log: Logger;
  /** A KubeSchedulerConfiguration object (parsed), or undefined for defaults. */
  config?: any;
  /** Binding cycles in flight at once. */
  maxInFlightBinds?: number;
}

export class Scheduler {
  static readonly NAME = 'default-scheduler';
  readonly cache = new SchedulerCache();
  readonly queue = new SchedulingQueue();
  readonly profiles: Map<string, Framework>;
  private nextStartNodeIndex = 0;
  private readonly recorder: EventRecorder;
  private inFlight = 0;
  private slotWaiters: (() => void)[] = [];
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly priorityClasses = new Map<string, number>();
  /** Counters for benchmarks and logs. */
  readonly stats = { scheduled: 0, failed: 0, attempts: 0 };

  constructor(private readonly o: SchedulerOptions) {
    this.recorder = new EventRecorder(o.cs, 'default-scheduler', o.log);
    const handle = {
      nodes: () => this.cache.nodeInfos(),
      nodeInfo: (n: string) => this.cache.get(n),
      priorityClassValue: (n: string | undefined) => (n ? this.priorityClasses.get(n) : undefined),
      namespaceLabels: (ns: string) => this.nsLabels.get(ns),
      podIndex: this.cache.index,
      bind: (pod: any, node: string) => this.bindApi(pod, node),
      evict: (victim: any, preemptor: any, node: string) => this.evict(victim, preemptor, node),
      nominate: (pod: any, node: string) => this.nominate(pod, node),
      claim: (ns: string, name: string) => o.informers.informer('persistentvolumeclaims').cache.getByName(ns, name),
      volume: (name: string) => o.informers.informer('persistentvolumes').cache.getByName(undefined, name),
      volumes: () => o.informers.informer('persistentvolumes').cache.list(),
      storageClass: (name: string) => o.informers.informer('storageclasses').cache.getByName(undefined, name),
      selectNode: (pvc: any, node: string) => this.selectNode(pvc, node),
    };
    this.profiles = buildProfiles(o.config, handle);
    this.wire();
  }

  private responsible(pod: any): boolean {
    return this.profiles.has(pod.spec?.schedulerName ?? 'default-scheduler');
  }

  private wire(): void {
    const { informers } = this.o;
    const pending = (p: any) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
    informers.informer('pods').addHandlers({
      onAdd: (p) => {
        if (p.spec?.nodeName) this.cache.upsertPod(p);
        else if (pending(p) && this.responsible(p)) this.queue.add(keyOf(p), p);
      },
      onUpdate: (old, p) => {
        if (p.spec?.nodeName) {
          if (!old.spec?.nodeName) this.queue.delete(keyOf(p));
          this.cache.upsertPod(p);
          // A pod that finished frees room.
          if ((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && old.status?.phase !== p.status?.phase) this.queue.moveAllToActiveOrBackoff();
        } else if (pending(p) && this.responsible(p)) this.queue.add(keyOf(p), p);
        else this.queue.delete(keyOf(p));
      },
      onDelete: (p) => {
        this.queue.delete(keyOf(p));
        if (p.spec?.nodeName || this.cache.isAssumed(p.metadata.uid)) {
          this.cache.removePod(p.metadata.uid);
          this.queue.moveAllToActiveOrBackoff();
        }
      },
    });
    informers.informer('nodes').addHandlers({
      onAdd: (n) => {
        this.cache.upsertNode(n);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (old, n) => {
        this.cache.upsertNode(n);
        if (JSON.stringify([old.spec, old.metadata.labels, old.status?.allocatable]) !== JSON.stringify([n.spec, n.metadata.labels, n.status?.allocatable])) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (n) => this.cache.removeNode(n.metadata.name),
    });
    // A claim bound, a volume made available or a class created may let a waiting pod fit.
    const storageChanged = { onAdd: () => this.queue.moveAllToActiveOrBackoff(), onUpdate: () => this.queue.moveAllToActiveOrBackoff(), onDelete: () => {} };
    for (const r of ['persistentvolumeclaims', 'persistentvolumes', 'storageclasses'] as const) informers.informer(r).addHandlers(storageChanged);
    informers.informer('namespaces').addHandlers({
      onAdd: (ns) => this.nsLabels.set(ns.metadata.name, ns.metadata.labels ?? {}),
      onUpdate: (_o, ns) => this.nsLabels.set(ns.metadata.name, ns.metadata.labels ?? {}),
      onDelete: (ns) => this.nsLabels.delete(ns.metadata.name),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { informers } = this.o;
    signal.addEventListener('abort', () => this.queue.close(), { once: true });
    await Promise.all([informers.informer('pods').waitForSync(signal), informers.informer('nodes').waitForSync(signal), informers.informer('namespaces').waitForSync(signal), ...(['persistentvolumeclaims', 'persistentvolumes', 'storageclasses'] as const).map((r) => informers.informer(r).waitForSync(signal))]);
    this.o.log.info('scheduler started', { profiles: [...this.profiles.keys()] });
    for (;;) {
      const q = await this.queue.pop();
      if (!q) return;
      try {
        await this.scheduleOne(q);
      } catch (err) {
        this.o.log.error('scheduling cycle failed', { pod: q.key, err });
        this.queue.requeue(q, { unschedulable: false });
      }
    }
  }

  private async scheduleOne(q: QueuedPod): Promise<void> {
    const pod = this.o.informers.informer('pods').cache.get(q.key) ?? q.pod;
    if (pod.spec?.nodeName || pod.metadata.deletionTimestamp || this.cache.isAssumed(pod.metadata.uid)) return this.queue.done(q.key);
    const fwk = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler')!;
    this.stats.attempts++;
    const state = fwk.newCycleState();
    state.write('framework', fwk);
    const all = this.cache.nodeInfos();
    if (!all.length) return this.fail(q, pod, fwk, new Map(), 0, 'no nodes available to schedule pods');

    const pre = fwk.runPreFilter(state, pod, all);
    const statuses = new Map<string, Status>();
    if (!pre.status.isSuccess()) {
      for (const n of all) statuses.set(n.name, pre.status);
      return this.fail(q, pod, fwk, statuses, all.length, undefined, pre.status.reasons.join(', '));
    }
    const want = fwk.numFeasibleNodesToFind(all.length);
    const feasible = [];
    const start = this.nextStartNodeIndex % all.length;
    let visited = 0;
    for (let i = 0; i < all.length && feasible.length < want; i++) {
      const ni = all[(start + i) % all.length];
      visited++;
      if (pre.result.nodeNames && !pre.result.nodeNames.has(ni.name)) {
        statuses.set(ni.name, new Status(Code.UnschedulableAndUnresolvable, ['node(s) didn\'t satisfy plugin(s) [NodeAffinity]'], 'PreFilter'));
        continue;
      }
      const st = fwk.runFilter(state, pod, ni);
      if (st.isSuccess()) feasible.push(ni);
      else statuses.set(ni.name, st);
    }
    this.nextStartNodeIndex = (start + visited) % all.length;
    if (!feasible.length) return this.fail(q, pod, fwk, statuses, all.length);

    let chosen = feasible[0].name;
    if (feasible.length > 1) {
      fwk.runPreScore(state, pod, feasible);
      chosen = selectHost(fwk.runScore(state, pod, feasible));
    }
    this.cache.assume(pod, chosen);
    const rs = fwk.runReserve(state, pod, chosen);
    if (!rs.isSuccess() || !fwk.runPermit(state, pod, chosen).isSuccess()) {
      this.cache.forget(pod.metadata.uid);
      return this.queue.requeue(q, { unschedulable: false });
    }
    this.queue.done(q.key);
    // Binding cycle: asynchronous, so the next pod is scheduled meanwhile.
    await this.slot();
    void fwk
      .runBind(state, pod, chosen)
      .then((st) => {
        if (st.isSuccess()) {
          this.stats.scheduled++;
          this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${chosen}`);
        } else {
          fwk.runUnreserve(state, pod, chosen);
          this.cache.forget(pod.metadata.uid);
          // A PreBind failure is the pod's scheduling failure (upstream's handleSchedulingFailure).
          if (st.reasons[0]?.startsWith('running PreBind plugin')) this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'FailedScheduling', st.reasons.join(', '));
          this.o.log.debug('binding failed', { pod: q.key, node: chosen, reasons: st.reasons });
          this.queue.requeue(q, { unschedulable: false });
        }
      })
      .finally(() => this.release());
  }

  private async fail(q: QueuedPod, pod: any, fwk: Framework, statuses: Map<string, Status>, numNodes: number, plain?: string, preFilterMsg?: string): Promise<void> {
    this.stats.failed++;
    let postMsg: string | undefined;
    let nominated: string | undefined;
    if (statuses.size && fwk.plugins.postFilter.length) {
      const state = fwk.newCycleState();
      state.write('framework', fwk);
      fwk.runPreFilter(state, pod, this.cache.nodeInfos());
      for (const p of fwk.plugins.postFilter) {
        const r = await p.postFilter(state, pod, statuses);
        if (r.status.isSuccess()) {
          nominated = r.result?.nominatedNodeName;
          break;
        }
        postMsg = r.status.reasons.join(', ');
      }
    }
    const message = plain ?? fitErrorMessage(numNodes, statuses, nominated ? undefined : postMsg, preFilterMsg);
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'FailedScheduling', message);
    await this.setUnschedulable(pod, message);
    this.queue.requeue(q, { unschedulable: !nominated });
  }

  private async setUnschedulable(pod: any, message: string): Promise<void> {
    const cur = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    try {
      await this.o.cs.resource('pods').patch(pod.metadata.namespace, pod.metadata.name, 'strategic', { status: { conditions: [cond] } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async bindApi(pod: any, node: string): Promise<void> {
    await this.o.cs.rest.request(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
    });
  }

  /** WaitForFirstConsumer: tells the binder and provisioner which node the claim's pod goes to. */
  private async selectNode(pvc: any, node: string): Promise<any> {
    return this.o.cs.resource('persistentvolumeclaims').patch(pvc.metadata.namespace, pvc.metadata.name, 'merge', { metadata: { annotations: { 'volume.kubernetes.io/selected-node': node } } });
  }

  private async evict(victim: any, preemptor: any, node: string): Promise<void> {
    this.recorder.event({ ...victim, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid} on node ${node}`);
    try {
      await this.o.cs.resource('pods').delete(victim.metadata.namespace, victim.metadata.name, { preconditions: { uid: victim.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async nominate(pod: any, node: string): Promise<void> {
    try {
      await this.o.cs.resource('pods').patch(pod.metadata.namespace, pod.metadata.name, 'merge', { status: { nominatedNodeName: node } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private slot(): Promise<void> {
    if (this.inFlight < (this.o.maxInFlightBinds ?? 64)) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((r) => this.slotWaiters.push(() => (this.inFlight++, r())));
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }
}

/** Highest total score; ties broken at random (reservoir sampling, as upstream). */
export function selectHost(scores: NodeScore[]): string {
  let best = scores[0];
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i];
    if (s.score > best.score) {
      best = s;
      ties = 1;
    } else if (s.score === best.score) {
      ties++;
      if (Math.random() * ties < 1) best = s;
    }
  }
  return best.name;
}
