/**
 * Sidecars (restartable init containers, initContainers[].restartPolicy Always): they run
 * beside the app containers, and once every regular container of a Never/OnFailure pod
 * has finished for good they are stopped, the last declared first, so the pod can
 * complete (upstream's KEP-753).
 */
import type { ContainerRecord } from '../pod-status.js';
import { killContainer } from './kill.js';
import type { BackgroundKillContext } from './probe-kill.js';

/** A restartable init container (sidecar): initContainers[].restartPolicy Always. */
export const isSidecar = (c: any) => c?.restartPolicy === 'Always';

/** The names of a pod's sidecars, in declaration order. */
export const sidecarNames = (pod: any): Set<string> => new Set((pod.spec?.initContainers ?? []).filter(isSidecar).map((c: any) => c.name as string));

/** Every regular container of a Never/OnFailure pod has finished for good. */
export function regularContainersDone(pod: any, app: Map<string, ContainerRecord>): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return false;
  return (pod.spec?.containers ?? []).every((c: any) => {
    const rec = app.get(c.name);
    const cur = rec?.current;
    return cur?.state === 'exited' && !rec!.restartAfterKill && !rec!.killing && !(policy === 'OnFailure' && cur.exitCode !== 0);
  });
}

/** Once the regular containers of a Never/OnFailure pod are done, its sidecars are stopped, last first, in the background. */
export function stopSidecars(ctx: BackgroundKillContext, pod: any, st: { key: string; podIP?: string; init: Map<string, ContainerRecord> }): void {
  const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar).reverse();
  const running = sidecars.filter((c: any) => st.init.get(c.name)?.current?.state === 'running' && !st.init.get(c.name)?.killing);
  if (!running.length) return;
  for (const c of running) st.init.get(c.name)!.killing = true;
  void (async () => {
    for (const c of running) {
      const rec = st.init.get(c.name)!;
      const id = rec.current!.id;
      await killContainer({ pod, target: ctx.target(st, c, id), reason: 'deletion', message: `Stopping container ${c.name}`, event: (type, r, m) => ctx.event(pod, c.name, type, r, m) }).catch(() => {});
      rec.current = (await ctx.runtime.containerStatus(id)) ?? rec.current;
      rec.killing = false;
    }
    ctx.enqueue?.(st.key);
  })();
}
