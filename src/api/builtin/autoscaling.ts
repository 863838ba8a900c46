/**
 * autoscaling HorizontalPodAutoscaler, served as v2 (the preferred and storage version)
 * and v1 (converted, autoscaling-conversion.ts), with v2's defaults (minReplicas 1, 80%
 * cpu utilization without metrics, behavior's policies), upstream's validation and
 * `kubectl get hpa` columns: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE.
 */
import type { ResourceDef } from '../types.js';
import { kind } from './kind.js';
import { col } from './printing.js';
import { hpaV1ToV2, hpaV2ToV1 } from './autoscaling-conversion.js';
import { validateHpaV2 } from './autoscaling-validation.js';

/** Upstream's default behavior rules (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules). */
export const DEFAULT_SCALE_UP = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
export const DEFAULT_SCALE_DOWN = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

function fillRules(r: any, def: any): any {
  if (!r) return structuredClone(def);
  return { ...r, ...(r.stabilizationWindowSeconds === undefined && def.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: def.stabilizationWindowSeconds } : {}), selectPolicy: r.selectPolicy ?? def.selectPolicy, policies: r.policies ?? structuredClone(def.policies) };
}

export function hpaV2Defaults(o: any): void {
  const s = (o.spec ??= {});
  s.minReplicas ??= 1;
  if (!s.metrics?.length) s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  if (s.behavior) {
    s.behavior.scaleUp = fillRules(s.behavior.scaleUp, DEFAULT_SCALE_UP);
    s.behavior.scaleDown = fillRules(s.behavior.scaleDown, DEFAULT_SCALE_DOWN);
  }
}

function quantityText(v: unknown): string {
  return v === undefined || v === null ? '<unknown>' : String(v);
}

/** The TARGETS cell, as upstream's formatHPAMetrics (at most two metrics, then "+ N more..."). */
export function formatHpaMetrics(specs: any[] | undefined, statuses: any[] | undefined): string {
  if (!specs?.length) return '<none>';
  const st = statuses ?? [];
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const cur = st[i];
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const src = spec.type === 'External' ? spec.external : spec.object;
        const c = spec.type === 'External' ? cur?.external : cur?.object;
        if (src?.target?.averageValue !== undefined) list.push(`${quantityText(c?.current?.averageValue)}/${src.target.averageValue} (avg)`);
        else list.push(`${c ? quantityText(c.current?.value) : '<unknown>'}/${quantityText(src?.target?.value)}`);
        break;
      }
      case 'Pods':
        list.push(`${cur?.pods ? quantityText(cur.pods.current?.averageValue) : '<unknown>'}/${quantityText(spec.pods?.target?.averageValue)}`);
        break;
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const c = spec.type === 'Resource' ? cur?.resource : cur?.containerResource;
        if (src?.target?.averageValue !== undefined) list.push(`${src.name}: ${c ? quantityText(c.current?.averageValue) : '<unknown>'}/${src.target.averageValue}`);
        else {
          const current = c?.current?.averageUtilization !== undefined ? `${c.current.averageUtilization}%` : '<unknown>';
          const target = src?.target?.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
          list.push(`${src?.name}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  if (list.length > 2) return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
  return list.join(', ');
}

const columns = [
  col('Reference', 'the reference to the autoscaled resource'),
  col('Targets', 'the current and target metrics'),
  col('MinPods', 'the minimum number of replicas'),
  col('MaxPods', 'the maximum number of replicas', { type: 'integer' }),
  col('Replicas', 'the current number of replicas', { type: 'integer' }),
];

function cells(v2: any): unknown[] {
  const s = v2.spec ?? {};
  return [`${s.scaleTargetRef?.kind ?? ''}/${s.scaleTargetRef?.name ?? ''}`, formatHpaMetrics(s.metrics, v2.status?.currentMetrics), s.minReplicas !== undefined ? String(s.minReplicas) : '<unset>', s.maxReplicas ?? 0, v2.status?.currentReplicas ?? 0];
}

/** The status is the controller's: kept on spec writes, as upstream's strategy. */
const common = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  generation: true,
  columns,
  // A new HPA's status is empty; v2 serializes desiredReplicas always, currentReplicas when non-zero.
  prepareForCreate: (o: any) => {
    o.status = { desiredReplicas: 0 };
  },
};

export const hpaV2: ResourceDef = kind({
  ...common,
  version: 'v2',
  defaults: hpaV2Defaults,
  validate: (o) => validateHpaV2(o),
  cells: (o) => cells(o),
});

/** A v1 object as it is stored: converted to v2, with v2's defaults. */
function storedV2(o: any): any {
  const v2 = hpaV1ToV2(o);
  hpaV2Defaults(v2);
  return v2;
}

export const hpaV1: ResourceDef = kind({
  ...common,
  version: 'v1',
  defaults: (o: any) => {
    (o.spec ??= {}).minReplicas ??= 1;
  },
  validate: (o) => validateHpaV2(storedV2(o)),
  cells: (o) => cells(storedV2(o)),
  // Kept as v2 objects (same group and resource), read and written through v1 by conversion.
  storedAs: {
    fromStored: (o: any) => hpaV2ToV1(o),
    toStored: storedV2,
  },
});

/** v2 first: the preferred version. */
export const autoscalingKinds = [hpaV2, hpaV1];
