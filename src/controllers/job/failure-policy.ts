/**
 * Job pod failure policy (spec.podFailurePolicy): the first rule whose requirement
 * matches a failed pod decides — FailJob, FailIndex, Ignore (does not count against
 * backoffLimit) or Count (the default behaviour). Rules match container exit codes
 * (In/NotIn, optionally for one container; 0 never matches) or pod conditions
 * (e.g. DisruptionTarget).
 */

export type FailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface RuleMatch {
  action: FailureAction;
  ruleIndex: number;
  message: string;
}

function exitCodes(pod: any, containerName?: string): { name: string; code: number }[] {
  const out: { name: string; code: number }[] = [];
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (containerName && s.name !== containerName) continue;
    out.push({ name: s.name, code });
  }
  return out;
}

export function matchFailurePolicy(policy: any, pod: any): RuleMatch | undefined {
  const rules: any[] = policy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    const ec = r.onExitCodes;
    if (ec) {
      const vals: number[] = ec.values ?? [];
      for (const c of exitCodes(pod, ec.containerName)) {
        const hit = ec.operator === 'In' ? vals.includes(c.code) : !vals.includes(c.code);
        if (hit) return { action: r.action, ruleIndex: i, message: `Container ${c.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${c.code} matching ${r.action} rule at index ${i}` };
      }
    }
    for (const pc of r.onPodConditions ?? []) {
      const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === pc.type);
      if (cond && cond.status === (pc.status ?? 'True')) return { action: r.action, ruleIndex: i, message: `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${pc.type} matching ${r.action} rule at index ${i}` };
    }
  }
  return undefined;
}
