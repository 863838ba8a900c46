/** HPA status conditions: a changed status moves lastTransitionTime, an unchanged one keeps it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export function setCondition(conditions: Condition[], c: Condition, nowMs: number): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const t = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
  if (i < 0) {
    conditions.push({ type: c.type, status: c.status, lastTransitionTime: t, reason: c.reason, message: c.message });
    return;
  }
  const old = conditions[i];
  conditions[i] = { type: c.type, status: c.status, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : t, reason: c.reason, message: c.message };
}
