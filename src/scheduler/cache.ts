/**
 * The scheduler cache: NodeInfo per node, with bound pods from the informer and pods the
 * scheduler has assumed (placed, binding in flight) so the next cycle already counts
 * them. An assumed pod is confirmed when the informer shows it bound, or forgotten if
 * binding fails.
 */
import { NodeInfo, podInfo } from './framework/node-info.js';
import { PodIndex } from './pod-index.js';

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  private list: NodeInfo[] | undefined;
  readonly index = new PodIndex();

  nodeInfos(): NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()].filter((n) => n.node.status !== undefined || n.node.spec !== undefined);
    return this.list;
  }

  get(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  private ensure(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) {
      // Pods can be seen before their node: keep them on a placeholder.
      ni = new NodeInfo({ metadata: { name } });
      this.nodes.set(name, ni);
    }
    return ni;
  }

  upsertNode(node: any): void {
    const ni = this.nodes.get(node.metadata.name);
    if (ni) ni.setNode(node);
    else this.nodes.set(node.metadata.name, new NodeInfo(node));
    this.list = undefined;
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    if (ni.pods.size) ni.node = { metadata: { name } };
    else this.nodes.delete(name);
    this.list = undefined;
  }

  isAssumed(uid: string): boolean {
    return this.assumed.has(uid);
  }

  /** A pod placed by this scheduler, binding not yet confirmed. */
  assume(pod: any, nodeName: string): void {
    const placed = { ...pod, spec: { ...pod.spec, nodeName } };
    this.ensure(nodeName).addPod(podInfo(placed));
    this.index.add(placed, nodeName);
    this.podNode.set(pod.metadata.uid, nodeName);
    this.assumed.add(pod.metadata.uid);
  }

  forget(uid: string): void {
    if (!this.assumed.delete(uid)) return;
    this.removePod(uid);
  }

  /** A bound pod from the informer (new, updated, or confirming an assumption). */
  upsertPod(pod: any): void {
    const uid = pod.metadata.uid;
    const nodeName = pod.spec?.nodeName;
    const phase = pod.status?.phase;
    if (!nodeName || phase === 'Succeeded' || phase === 'Failed') {
      // Terminal pods free their resources.
      if (this.podNode.has(uid) && !this.assumed.has(uid)) this.removePod(uid);
      return;
    }
    this.assumed.delete(uid);
    const prev = this.podNode.get(uid);
    if (prev && prev !== nodeName) this.nodes.get(prev)?.removePod(uid);
    this.ensure(nodeName).addPod(podInfo(pod));
    this.index.add(pod, nodeName);
    this.podNode.set(uid, nodeName);
  }

  removePod(uid: string): void {
    const n = this.podNode.get(uid);
    if (n === undefined) return;
    this.podNode.delete(uid);
    this.assumed.delete(uid);
    this.index.remove(uid);
    const ni = this.nodes.get(n);
    ni?.removePod(uid);
    if (ni && !ni.pods.size && ni.node.status === undefined && ni.node.spec === undefined) {
      this.nodes.delete(n);
      this.list = undefined;
    }
  }
}
