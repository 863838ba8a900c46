/**
 * autoscaling/v1 HorizontalPodAutoscalers are served from the autoscaling/v2 objects in
 * the store, as upstream does. v1 has one metric (targetCPUUtilizationPercentage); what
 * only v2 can say travels in annotations on the v1 object (upstream's names) so that a
 * v1 read-modify-write keeps it:
 *   autoscaling.alpha.kubernetes.io/metrics          other metrics of spec.metrics
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior
 *   autoscaling.alpha.kubernetes.io/current-metrics  other entries of status.currentMetrics
 *   autoscaling.alpha.kubernetes.io/conditions       status.conditions
 * (skiff writes them as v2 JSON; upstream writes the v2beta1-era shapes.)
 */
const A = 'autoscaling.alpha.kubernetes.io/';
const METRICS = `${A}metrics`;
const BEHAVIOR = `${A}behavior`;
const CURRENT = `${A}current-metrics`;
const CONDITIONS = `${A}conditions`;

const isCpuUtilization = (m: any) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';

/** The v2 object (as stored) as autoscaling/v1 shows it. */
export function hpaV2ToV1(o: any): any {
  const s = o.spec ?? {};
  const st = o.status ?? {};
  const annotations: Record<string, string> = { ...(o.metadata?.annotations ?? {}) };
  const metrics: any[] = s.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS] = JSON.stringify(others);
  if (s.behavior) annotations[BEHAVIOR] = JSON.stringify(s.behavior);
  const current: any[] = st.currentMetrics ?? [];
  const curCpu = current.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization !== undefined);
  const curOthers = current.filter((m) => m !== curCpu);
  if (curOthers.length) annotations[CURRENT] = JSON.stringify(curOthers);
  if (st.conditions?.length) annotations[CONDITIONS] = JSON.stringify(st.conditions);
  const metadata = { ...o.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) };
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: s.scaleTargetRef,
      ...(s.minReplicas !== undefined ? { minReplicas: s.minReplicas } : {}),
      maxReplicas: s.maxReplicas,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    },
    status: {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      currentReplicas: st.currentReplicas ?? 0,
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(curCpu ? { currentCPUUtilizationPercentage: curCpu.resource.current.averageUtilization } : {}),
    },
  };
}

function parse(annotations: Record<string, string>, key: string): any {
  const v = annotations[key];
  delete annotations[key];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** An autoscaling/v1 object as v2, for storage. */
export function hpaV1ToV2(o: any): any {
  const s = o.spec ?? {};
  const st = o.status ?? {};
  const annotations: Record<string, string> = { ...(o.metadata?.annotations ?? {}) };
  const others: any[] = parse(annotations, METRICS) ?? [];
  const behavior = parse(annotations, BEHAVIOR);
  const curOthers: any[] = parse(annotations, CURRENT) ?? [];
  const conditions = parse(annotations, CONDITIONS);
  const metrics = [...(s.targetCPUUtilizationPercentage !== undefined && s.targetCPUUtilizationPercentage !== null ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.targetCPUUtilizationPercentage } } }] : []), ...others];
  const currentMetrics = [
    ...(st.currentCPUUtilizationPercentage !== undefined && st.currentCPUUtilizationPercentage !== null ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } }] : []),
    ...curOthers,
  ];
  const metadata = { ...o.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: s.scaleTargetRef,
      ...(s.minReplicas !== undefined ? { minReplicas: s.minReplicas } : {}),
      maxReplicas: s.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(behavior ? { behavior } : {}),
    },
    status: {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(st.currentReplicas ? { currentReplicas: st.currentReplicas } : {}),
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(currentMetrics.length ? { currentMetrics } : {}),
      ...(conditions ? { conditions } : {}),
    },
  };
}
