/**
 * Flag parsing for skiff's commands: k3s-style `--flag value` / `--flag=value`, booleans
 * as `--flag`, unknown flags rejected, and a generated --help.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  help: string;
  default?: string | boolean;
  /** Shown in --help as the value placeholder. */
  metavar?: string;
  multiple?: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseFlags(specs: FlagSpec[], argv: string[]): Record<string, any> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const s of specs) options[s.name] = s.multiple ? { type: s.type, multiple: true } : { type: s.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^Unknown option '(.*)'.*$/s, 'unknown flag: $1'));
  }
  const out: Record<string, any> = {};
  for (const s of specs) out[s.name] = parsed.values[s.name] ?? s.default;
  out.help = parsed.values.help ?? false;
  return out;
}

export function helpText(usage: string, specs: FlagSpec[]): string {
  const lines = [usage, '', 'Flags:'];
  for (const s of specs) {
    const left = `  --${s.name}${s.type === 'string' ? ' ' + (s.metavar ?? 'value') : ''}`;
    const def = s.default !== undefined && s.default !== '' && s.default !== false ? ` (default ${JSON.stringify(s.default)})` : '';
    lines.push(`${left.padEnd(38)} ${s.help}${def}`);
  }
  lines.push(`${'  --help'.padEnd(38)} Show this help`);
  return lines.join('\n') + '\n';
}

/** A Go-style duration as Kubernetes flags take it: "15s", "1500ms", "2m", "1m30s". */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...String(s).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) throw new UsageError(`invalid duration ${JSON.stringify(s)} (e.g. 15s, 1500ms, 1m30s)`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * units[p[2]], 0);
}

/** kube-controller-manager's and kube-scheduler's leader election flags, with their defaults. */
export const leaderElectionFlags: FlagSpec[] = [
  { name: 'leader-elect-lease-duration', type: 'string', metavar: 'D', help: 'How long a leader\'s lease lasts without renewal: others take over after it', default: '15s' },
  { name: 'leader-elect-renew-deadline', type: 'string', metavar: 'D', help: 'A leader that cannot renew within this stops acting', default: '10s' },
  { name: 'leader-elect-retry-period', type: 'string', metavar: 'D', help: 'How often candidates try, and leaders renew', default: '2s' },
];

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** The leader election timings from flags, checked as Kubernetes checks them. */
export function leaderElectionTimings(f: Record<string, any>): LeaderElectionTimings {
  const t = { leaseDurationMs: parseDuration(f['leader-elect-lease-duration']), renewDeadlineMs: parseDuration(f['leader-elect-renew-deadline']), retryPeriodMs: parseDuration(f['leader-elect-retry-period']) };
  if (t.leaseDurationMs < 1000) throw new UsageError('--leader-elect-lease-duration must be at least 1s (Lease objects count whole seconds)');
  if (t.leaseDurationMs <= t.renewDeadlineMs) throw new UsageError('--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline');
  if (t.renewDeadlineMs <= t.retryPeriodMs * 1.2) throw new UsageError('--leader-elect-renew-deadline must be greater than 1.2 x --leader-elect-retry-period');
  return t;
}

/**
 * The pod garbage collector: kube-controller-manager's --terminated-pod-gc-threshold, and
 * two skiff flags for upstream's fixed timings (20 s period, 40 s node quarantine).
 */
export const podGcFlags: FlagSpec[] = [
  { name: 'terminated-pod-gc-threshold', type: 'string', metavar: 'N', help: 'Terminated (Succeeded/Failed) pods kept before the oldest are deleted; 0 keeps them all', default: '12500' },
  { name: 'pod-gc-period', type: 'string', metavar: 'D', help: 'How often the pod garbage collector runs', default: '20s' },
  { name: 'pod-gc-quarantine', type: 'string', metavar: 'D', help: 'How long a node must be missing before its pods are deleted as orphans', default: '40s' },
];

export interface PodGcSettings {
  terminatedPodGcThreshold: number;
  periodMs: number;
  quarantineMs: number;
}

/** The pod garbage collector's settings from flags. */
export function podGcSettings(f: Record<string, any>): PodGcSettings {
  const threshold = Number(f['terminated-pod-gc-threshold']);
  if (!Number.isInteger(threshold)) throw new UsageError(`invalid --terminated-pod-gc-threshold ${JSON.stringify(f['terminated-pod-gc-threshold'])} (a whole number)`);
  const periodMs = parseDuration(f['pod-gc-period']);
  if (periodMs < 100) throw new UsageError('--pod-gc-period must be at least 100ms');
  return { terminatedPodGcThreshold: threshold, periodMs, quarantineMs: parseDuration(f['pod-gc-quarantine']) };
}

/** The HorizontalPodAutoscaler controller: kube-controller-manager's flags and defaults. */
export const hpaFlags: FlagSpec[] = [
  { name: 'horizontal-pod-autoscaler-sync-period', type: 'string', metavar: 'D', help: 'How often each HorizontalPodAutoscaler is reconciled', default: '15s' },
  { name: 'horizontal-pod-autoscaler-downscale-stabilization', type: 'string', metavar: 'D', help: 'How far back the highest recommendation is kept when scaling down (without spec.behavior)', default: '5m' },
  { name: 'horizontal-pod-autoscaler-tolerance', type: 'string', metavar: 'F', help: 'Usage/target ratios within this of 1.0 cause no scaling', default: '0.1' },
  { name: 'horizontal-pod-autoscaler-cpu-initialization-period', type: 'string', metavar: 'D', help: 'After a pod starts, its cpu samples are skipped while it is not ready', default: '5m' },
  { name: 'horizontal-pod-autoscaler-initial-readiness-delay', type: 'string', metavar: 'D', help: 'After a pod starts, readiness changes within this count it as not yet ready', default: '30s' },
];

export interface HpaSettings {
  syncPeriodMs: number;
  downscaleStabilizationMs: number;
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

export function hpaSettings(f: Record<string, any>): HpaSettings {
  const tolerance = Number(f['horizontal-pod-autoscaler-tolerance']);
  if (!(tolerance >= 0)) throw new UsageError(`invalid --horizontal-pod-autoscaler-tolerance ${JSON.stringify(f['horizontal-pod-autoscaler-tolerance'])}`);
  const syncPeriodMs = parseDuration(f['horizontal-pod-autoscaler-sync-period']);
  if (syncPeriodMs < 100) throw new UsageError('--horizontal-pod-autoscaler-sync-period must be at least 100ms');
  return {
    syncPeriodMs,
    downscaleStabilizationMs: parseDuration(f['horizontal-pod-autoscaler-downscale-stabilization']),
    tolerance,
    cpuInitializationPeriodMs: parseDuration(f['horizontal-pod-autoscaler-cpu-initialization-period']),
    initialReadinessDelayMs: parseDuration(f['horizontal-pod-autoscaler-initial-readiness-delay']),
  };
}
