/**
 * VolumeBinding: a pod's PersistentVolumeClaims decide where it may run, as upstream's
 * plugin of that name.
 * - PreFilter: every claim must exist and not be terminating; a claim still unbound must
 *   be of a WaitForFirstConsumer class (an unbound Immediate claim waits for the binder:
 *   "pod has unbound immediate PersistentVolumeClaims").
 * - Filter: a bound claim's volume must admit the node (its nodeAffinity — so every later
 *   pod of a local-path claim goes to the node that holds the data); a delayed claim of a
 *   class without a provisioner needs an Available volume that the node can reach.
 * - PreBind: each delayed claim gets volume.kubernetes.io/selected-node=<node>, then the
 *   pod is bound only once the binder (and provisioner) has bound every claim, so the node
 *   never sees a claim still unbound.
 */
import { pvcClass } from '../../api/builtin/storage.js';
import { ANN_SELECTED_NODE, findMatchingVolume, volumeFitsNode } from '../../controllers/persistentvolume/matching.js';
import { errorStatus, skip, Status, unresolvable, type FilterPlugin, type PreBindPlugin, type PreFilterPlugin } from '../framework/types.js';

export const NAME = 'VolumeBinding';

export interface VolumeBindingHandle {
  claim(namespace: string, name: string): any | undefined;
  volume(name: string): any | undefined;
  volumes(): readonly any[];
  storageClass(name: string): any | undefined;
  /** Sets volume.kubernetes.io/selected-node on the claim; returns the claim as written. */
  selectNode(pvc: any, node: string): Promise<any>;
}

interface State {
  bound: any[];
  delayed: any[];
}

/** Names of the claims a pod uses (generic ephemeral volumes are claims named <pod>-<volume>). */
export function podClaimNames(pod: any): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v: any) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata.name}-${v.name}`] : []));
}

/** Whether resourceVersion a is later than b (skiff's are store revisions: integers). */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

export function create(args: { bindTimeoutSeconds?: number }, h: VolumeBindingHandle): PreFilterPlugin & FilterPlugin & PreBindPlugin {
  const timeoutMs = (args?.bindTimeoutSeconds ?? 600) * 1000;
  return {
    name: NAME,
    preFilter(state, pod) {
      const names = podClaimNames(pod);
      if (!names.length) return { status: skip() };
      const ephemeral = new Set((pod.spec?.volumes ?? []).filter((v: any) => v.ephemeral).map((v: any) => `${pod.metadata.name}-${v.name}`));
      const s: State = { bound: [], delayed: [] };
      for (const name of names) {
        const c = h.claim(pod.metadata.namespace, name);
        if (!c && ephemeral.has(name)) return { status: unresolvable(`waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"`) };
        if (!c) return { status: unresolvable(`persistentvolumeclaim "${name}" not found`) };
        if (ephemeral.has(name) && !(c.metadata.ownerReferences ?? []).some((o: any) => o.uid === pod.metadata.uid && o.controller)) return { status: unresolvable(`PVC ${pod.metadata.namespace}/${name} was not created for pod ${pod.metadata.namespace}/${pod.metadata.name} (pod is not owner)`) };
        if (c.metadata.deletionTimestamp) return { status: unresolvable(`persistentvolumeclaim "${name}" is being deleted`) };
        if (c.spec?.volumeName) {
          const pv = h.volume(c.spec.volumeName);
          if (!pv) return { status: unresolvable(`pvc(s) bound to non-existent pv(s)`) };
          s.bound.push(pv);
          continue;
        }
        const cls = pvcClass(c);
        if (cls && h.storageClass(cls)?.volumeBindingMode === 'WaitForFirstConsumer') s.delayed.push(c);
        else return { status: unresolvable('pod has unbound immediate PersistentVolumeClaims') };
      }
      state.write(NAME, s);
      return { status: Status.success() };
    },
    filter(state, _pod, ni) {
      const s = state.read<State>(NAME);
      if (!s) return Status.success();
      for (const pv of s.bound) if (!volumeFitsNode(pv, ni.node)) return unresolvable('node(s) had volume node affinity conflict');
      for (const c of s.delayed) {
        const sc = h.storageClass(pvcClass(c));
        const canProvision = sc?.provisioner && sc.provisioner !== 'kubernetes.io/no-provisioner';
        if (!canProvision && !findMatchingVolume(c, h.volumes(), ni.node)) return unresolvable("node(s) didn't find available persistent volumes to bind");
      }
      return Status.success();
    },
    async preBind(state, pod, node) {
      const s = state.read<State>(NAME);
      if (!s?.delayed.length) return skip();
      // The resourceVersion of each claim once it names the node: a later version of the
      // claim without the annotation means the provisioner gave the node up.
      const written = new Map<string, string>();
      try {
        for (const c of s.delayed) {
          const w = c.metadata.annotations?.[ANN_SELECTED_NODE] !== node ? await h.selectNode(c, node) : c;
          written.set(c.metadata.uid, w.metadata.resourceVersion);
        }
      } catch (err) {
        return errorStatus(`binding volumes: ${(err as Error).message}`);
      }
      // Wait for the binder: polling the claim cache (cheap), bounded by bindTimeoutSeconds.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = s.delayed.map((c) => h.claim(c.metadata.namespace, c.metadata.name));
        const gone = s.delayed.find((_c, i) => !now[i] || now[i].metadata.uid !== s.delayed[i].metadata.uid);
        if (gone) return errorStatus(`binding volumes: persistentvolumeclaim "${gone.metadata.name}" not found`);
        // The cache may still show the claim from before our write: only a newer one counts.
        const reset = now.find((c) => !c.spec?.volumeName && c.metadata.annotations?.[ANN_SELECTED_NODE] !== node && newer(c.metadata.resourceVersion, written.get(c.metadata.uid)));
        if (reset) return errorStatus(`binding volumes: selectedNode annotation reset for PVC "${reset.metadata.name}"`);
        const pending = now.filter((c) => !c.spec?.volumeName);
        if (!pending.length) return Status.success();
        if (Date.now() > deadline) return errorStatus('binding volumes: context deadline exceeded');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
