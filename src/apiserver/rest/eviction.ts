/**
 * pods/eviction (policy/v1 Eviction, and policy/v1beta1 bodies from older clients): a
 * pod deletion that honours the PodDisruptionBudget covering the pod, as upstream's
 * EvictionREST does:
 * - pods that cannot disrupt anything further (Succeeded, Failed, Pending, already
 *   terminating) are deleted at once, no budget consulted;
 * - more than one matching budget is a 500 (the subresource does not support it);
 * - an unready pod is deleted without consuming budget when the budget's
 *   unhealthyPodEvictionPolicy is AlwaysAllow, or (IfHealthyBudget, the default) when the
 *   budget is currently met; the delete then carries the pod's resourceVersion as a
 *   precondition so it cannot race the pod becoming ready;
 * - otherwise status.disruptionsAllowed is decremented and the pod recorded in
 *   status.disruptedPods (an update conditioned on the budget's resourceVersion, retried
 *   on conflict against a fresh read), or the request fails with 429 TooManyRequests.
 * The pod gets the DisruptionTarget condition (EvictionByEvictionAPI) before it is deleted.
 */
import { matchesSelector } from '../../client/selector.js';
import type { ResourceDef } from '../../api/types.js';
import { mediaType, parseBody, readRaw } from '../body.js';
import { ApiError, errors } from '../errors.js';
import { decode, keyPrefix } from '../object-store.js';
import { isDryRun, rfc3339, type RequestContext } from './context.js';
import { deleteOne } from './delete.js';
import { sendJson } from './respond.js';

/** Budget entries the controller has not yet confirmed; past this, evictions are refused (upstream's MaxDisruptedPodSize). */
const MAX_DISRUPTED_POD_SIZE = 2000;
/** Upstream's EvictionsRetry: 20 steps. */
const RETRIES = 20;
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

const isConflict = (e: unknown) => e instanceof ApiError && e.reason === 'Conflict';
const phaseOf = (pod: any): string | undefined => pod.status?.phase;
const isReady = (pod: any) => (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

/** Terminal, pending and terminating pods: evicting them disrupts nothing the budget guards (canIgnorePDB). */
function canIgnoreBudget(pod: any): boolean {
  return ['Succeeded', 'Failed', 'Pending'].includes(phaseOf(pod) as string) || !!pod.metadata.deletionTimestamp;
}

/** Pending pods are deleted with their resourceVersion as precondition, so one that starts meanwhile is not (shouldEnforceResourceVersion). */
function shouldEnforceResourceVersion(pod: any): boolean {
  return !['Succeeded', 'Failed'].includes(phaseOf(pod) as string) && !pod.metadata.deletionTimestamp;
}

function withResourceVersion(o: DeleteOptions, rv: string): DeleteOptions {
  return { ...o, preconditions: { ...(o.preconditions ?? {}), resourceVersion: rv } };
}

function tooManyRequests(cause: string, retryAfterSeconds = 0): ApiError {
  return new ApiError(429, 'TooManyRequests', VIOLATION, { causes: [{ reason: 'DisruptionBudget', message: cause }], ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
}

/** createTooManyRequestsError: the budget's status is not current (or the pod changed under us); retry in 10 s. */
const stillProcessing = (pdbName: string) => tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);

/** SetStatusCondition for the DisruptionAllowed condition after a decrement left no disruptions. */
function setDisruptionAllowed(status: any, now: Date): void {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  const want = { type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', ...(status.observedGeneration ? { observedGeneration: status.observedGeneration } : {}), reason: allowed ? 'SufficientPods' : 'InsufficientPods' };
  const conds: any[] = [...(status.conditions ?? [])];
  const i = conds.findIndex((c) => c.type === 'DisruptionAllowed');
  const prev = i >= 0 ? conds[i] : undefined;
  const next = { ...want, lastTransitionTime: prev && prev.status === want.status ? prev.lastTransitionTime : rfc3339(now), message: '' };
  if (i >= 0) conds[i] = next;
  else conds.push(next);
  status.conditions = conds;
}

/** The budgets in the pod's namespace whose (non-empty) selector matches the pod. */
async function budgetsFor(ctx: RequestContext, pdbDef: ResourceDef, pod: any): Promise<any[]> {
  const list = await ctx.store.backend.list(keyPrefix(pdbDef, pod.metadata.namespace));
  return list.kvs.map(decode).filter((pdb) => {
    const sel = pdb.spec?.selector;
    // A nil or empty selector matches nothing here, whatever the controller counts.
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) return false;
    return matchesSelector(sel, pod.metadata.labels);
  });
}

/** checkAndDecrement: takes one disruption from the budget, or says why not. */
async function checkAndDecrement(ctx: RequestContext, pdbDef: ResourceDef, pdb: any, podName: string, dry: boolean): Promise<void> {
  const st = pdb.status ?? {};
  if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(pdb.metadata.name);
  if ((st.disruptionsAllowed ?? 0) < 0) throw errors.forbidden('policy', 'poddisruptionbudget', pdb.metadata.name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) throw errors.forbidden('policy', 'poddisruptionbudget', pdb.metadata.name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if ((st.disruptionsAllowed ?? 0) === 0) throw tooManyRequests(`The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
  const next = structuredClone(pdb);
  const ns = (next.status ??= {});
  ns.disruptionsAllowed = st.disruptionsAllowed - 1;
  if (ns.disruptionsAllowed === 0) setDisruptionAllowed(ns, ctx.now());
  if (dry) return;
  // Tells the controller the pod is about to go, so it stops counting it as healthy; the
  // controller drops the entry if the pod is still there two minutes later.
  ns.disruptedPods = { ...(ns.disruptedPods ?? {}), [podName]: rfc3339(ctx.now()) };
  await ctx.store.update(pdbDef, next, Number(pdb.metadata.resourceVersion));
}

/** addConditionAndDeletePod: DisruptionTarget=True on the latest pod (honouring preconditions), then the delete. */
async function addConditionAndDeletePod(ctx: RequestContext, name: string, o: DeleteOptions, dry: boolean): Promise<void> {
  let opts = o;
  if (!dry) {
    const pod = await ctx.store.get(ctx.def, ctx.info.namespace, name);
    const pre = o.preconditions ?? {};
    if (pre.uid && pre.uid !== pod.metadata.uid) throw errors.conflict('', 'Pod', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`);
    if (pre.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion) throw errors.conflict('', 'Pod', name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`);
    const conds: any[] = [...(pod.status?.conditions ?? [])];
    const i = conds.findIndex((c) => c.type === 'DisruptionTarget');
    const want = { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now()), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
    const prev = i >= 0 ? conds[i] : undefined;
    if (!prev || prev.status !== 'True' || prev.reason !== want.reason || prev.message !== want.message) {
      if (prev?.status === 'True') want.lastTransitionTime = prev.lastTransitionTime;
      if (i >= 0) conds[i] = want;
      else conds.push(want);
      const next = structuredClone(pod);
      next.status = { ...(next.status ?? {}), conditions: conds };
      const saved = await ctx.store.update(ctx.def, next, Number(pod.metadata.resourceVersion));
      // We moved the pod's resourceVersion ourselves: the caller's precondition follows.
      if (pre.resourceVersion) opts = withResourceVersion(o, saved.metadata.resourceVersion);
    }
  }
  await deleteOne(ctx, name, opts as any);
}

export async function eviction(ctx: RequestContext): Promise<void> {
  const e = parseBody(await readRaw(ctx.req), mediaType(ctx.req)) as any;
  const name = ctx.info.name!;
  if (e?.metadata?.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const original: DeleteOptions = { ...(e?.deleteOptions ?? {}) };
  // The eviction's deleteOptions.dryRun and the request's ?dryRun both make it a dry run.
  const dry = isDryRun(ctx.query) || (original.dryRun ?? []).includes('All');
  const dctx: RequestContext = dry && !isDryRun(ctx.query) ? { ...ctx, query: new URLSearchParams([...ctx.query, ['dryRun', 'All']]) } : ctx;
  const callerRv = !!original.preconditions?.resourceVersion;
  const ok = () => sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

  // 1. Pods the budget does not guard are deleted at once (conflicts retried unless the caller pinned a resourceVersion).
  let pod: any;
  for (let attempt = 0; ; attempt++) {
    pod = await ctx.store.get(ctx.def, ctx.info.namespace, name);
    if (!canIgnoreBudget(pod)) break;
    const o = shouldEnforceResourceVersion(pod) && !callerRv ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
    try {
      await addConditionAndDeletePod(dctx, name, o, dry);
      return ok();
    } catch (err) {
      if (isConflict(err) && !callerRv && attempt < RETRIES) continue;
      throw err;
    }
  }

  // 2. The budget decides.
  const pdbDef = ctx.registry.lookup('policy', 'v1', 'poddisruptionbudgets')!;
  const pdbs = await budgetsFor(ctx, pdbDef, pod);
  if (pdbs.length > 1) return sendJson(ctx.res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
  let opts = original;
  let skipBudget = false;
  if (pdbs.length === 1) {
    let pdb = pdbs[0];
    if (!isReady(pod)) {
      // An unready pod adds nothing to currentHealthy: deleting it takes no disruption from
      // the budget when the policy says AlwaysAllow, or when the budget is met anyway.
      const st = pdb.status ?? {};
      if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') skipBudget = true;
      else if ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) skipBudget = true;
    }
    if (skipBudget) {
      if (!callerRv) opts = withResourceVersion(original, pod.metadata.resourceVersion);
    } else {
      for (let attempt = 0; ; attempt++) {
        try {
          await checkAndDecrement(ctx, pdbDef, pdb, name, dry);
          break;
        } catch (err) {
          if (!isConflict(err)) throw err;
          if (attempt >= RETRIES) throw new ApiError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${pdb.metadata.name}" due to conflicts`, { retryAfterSeconds: 10 });
          pdb = await ctx.store.get(pdbDef, pod.metadata.namespace, pdb.metadata.name);
        }
      }
    }
  }
  try {
    await addConditionAndDeletePod(dctx, name, opts, dry);
  } catch (err) {
    // The unready pod changed since we looked (it may be Ready now): the client retries.
    if (isConflict(err) && skipBudget && !callerRv) throw stillProcessing(pdbs[0].metadata.name);
    throw err;
  }
  ok();
}
