/**
 * Profiles from a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): the default
 * plugin set and score weights of kube-scheduler, changed per profile by
 * plugins.<extensionPoint>.enabled/disabled (and multiPoint), pluginConfig args and
 * percentageOfNodesToScore. Each profile answers to its schedulerName.
 */
import { Framework, type ProfilePlugins } from './framework/framework.js';
import type { Plugin, PluginHandle } from './framework/types.js';
import * as balanced from './plugins/balanced-allocation.js';
import * as binder from './plugins/default-binder.js';
import * as preemption from './plugins/default-preemption.js';
import * as imageLocality from './plugins/image-locality.js';
import * as interPod from './plugins/inter-pod-affinity.js';
import * as nodeAffinity from './plugins/node-affinity.js';
import * as nodeName from './plugins/node-name.js';
import * as nodePorts from './plugins/node-ports.js';
import * as fit from './plugins/node-resources-fit.js';
import * as unschedulable from './plugins/node-unschedulable.js';
import * as spread from './plugins/pod-topology-spread.js';
import * as taints from './plugins/taint-toleration.js';
import * as volumeBinding from './plugins/volume-binding.js';
import * as volumeRestrictions from './plugins/volume-restrictions.js';

export type PluginFactory = (args: any, h: any) => Plugin;

export const REGISTRY: Record<string, PluginFactory> = {
  [unschedulable.NAME]: unschedulable.create,
  [nodeName.NAME]: nodeName.create,
  [taints.NAME]: taints.create,
  [nodeAffinity.NAME]: nodeAffinity.create,
  [nodePorts.NAME]: nodePorts.create,
  [fit.NAME]: fit.create,
  [volumeRestrictions.NAME]: volumeRestrictions.create,
  [volumeBinding.NAME]: volumeBinding.create,
  [spread.NAME]: spread.create,
  [interPod.NAME]: interPod.create,
  [balanced.NAME]: balanced.create,
  [imageLocality.NAME]: imageLocality.create,
  [preemption.NAME]: preemption.create,
  [binder.NAME]: binder.create,
};

/** kube-scheduler's default plugins, in order, with their default score weights. */
export const DEFAULT_PLUGINS: { name: string; weight?: number }[] = [
  { name: unschedulable.NAME },
  { name: nodeName.NAME },
  { name: taints.NAME, weight: 3 },
  { name: nodeAffinity.NAME, weight: 2 },
  { name: nodePorts.NAME },
  { name: fit.NAME, weight: 1 },
  { name: volumeRestrictions.NAME },
  { name: volumeBinding.NAME },
  { name: spread.NAME, weight: 2 },
  { name: interPod.NAME, weight: 2 },
  { name: preemption.NAME },
  { name: balanced.NAME, weight: 1 },
  { name: imageLocality.NAME, weight: 1 },
  { name: binder.NAME },
];

const POINTS = ['preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind'] as const;
type Point = (typeof POINTS)[number];
const METHOD: Record<Point, string> = { preFilter: 'preFilter', filter: 'filter', postFilter: 'postFilter', preScore: 'preScore', score: 'score', reserve: 'reserve', permit: 'permit', preBind: 'preBind', bind: 'bind' };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface PluginSet {
  enabled?: { name: string; weight?: number }[];
  disabled?: { name: string }[];
}

export function buildProfiles(config: any, handle: PluginHandle & Record<string, unknown>): Map<string, Framework> {
  const cfg = config ?? {};
  if (cfg.apiVersion && !/^kubescheduler\.config\.k8s\.io\/v1(beta\d)?$/.test(cfg.apiVersion)) throw new ConfigError(`unsupported apiVersion ${cfg.apiVersion}`);
  const profiles: any[] = cfg.profiles?.length ? cfg.profiles : [{ schedulerName: 'default-scheduler' }];
  const out = new Map<string, Framework>();
  for (const prof of profiles) {
    const name = prof.schedulerName ?? 'default-scheduler';
    if (out.has(name)) throw new ConfigError(`duplicate profile with scheduler name "${name}"`);
    const args = new Map<string, any>((prof.pluginConfig ?? []).map((pc: any) => [pc.name, pc.args ?? {}]));
    const instances = new Map<string, Plugin>();
    const inst = (n: string): Plugin => {
      let p = instances.get(n);
      if (!p) {
        const f = REGISTRY[n];
        if (!f) throw new ConfigError(`plugin "${n}" does not exist`);
        instances.set(n, (p = f(args.get(n) ?? {}, handle)));
      }
      return p;
    };
    const pp: ProfilePlugins = { preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], permit: [], preBind: [], bind: [] };
    const plugins = prof.plugins ?? {};
    const multi: PluginSet = plugins.multiPoint ?? {};
    const multiDisabled = new Set((multi.disabled ?? []).map((d) => d.name));
    for (const point of POINTS) {
      const set: PluginSet = plugins[point] ?? {};
      const disabled = new Set((set.disabled ?? []).map((d) => d.name));
      const chosen: { name: string; weight?: number }[] = [];
      const consider = (list: { name: string; weight?: number }[], dis: Set<string>) => {
        for (const e of list) {
          if (dis.has('*') || dis.has(e.name) || disabled.has('*') || disabled.has(e.name)) continue;
          if (typeof (inst(e.name) as any)[METHOD[point]] !== 'function') continue;
          const i = chosen.findIndex((c) => c.name === e.name);
          if (i >= 0) chosen.splice(i, 1);
          chosen.push(e);
        }
      };
      consider(DEFAULT_PLUGINS, multiDisabled);
      consider(multi.enabled ?? [], new Set());
      for (const e of set.enabled ?? []) {
        if (typeof (inst(e.name) as any)[METHOD[point]] !== 'function') throw new ConfigError(`plugin "${e.name}" does not extend ${point}`);
        const i = chosen.findIndex((c) => c.name === e.name);
        if (i >= 0) chosen.splice(i, 1);
        chosen.push(e);
      }
      for (const c of chosen) {
        const p = inst(c.name) as any;
        if (point === 'score') pp.score.push({ plugin: p, weight: c.weight ?? DEFAULT_PLUGINS.find((d) => d.name === c.name)?.weight ?? 1 });
        else (pp[point] as any[]).push(p);
      }
    }
    const pct = prof.percentageOfNodesToScore ?? cfg.percentageOfNodesToScore ?? 0;
    out.set(name, new Framework(name, pp, pct));
  }
  return out;
}
