/** Percentiles, bounded concurrency and phase time limits for the benchmarks. */

/** Nearest-rank percentile (p in 0..100) of the samples; 0 for no samples. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export function latency(xs: number[]): Latency {
  return { p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), max: round(percentile(xs, 100)), n: xs.length };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

/** Runs fn over items with at most `concurrency` in flight; the first error rejects. */
export async function pool<T>(items: T[], concurrency: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (!failed && next < items.length) {
        const i = next++;
        try {
          await fn(items[i], i);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }),
  );
}

export class PhaseTimeoutError extends Error {
  constructor(phase: string, limitMs: number) {
    super(`benchmark phase "${phase}" took longer than ${limitMs / 1000} s — aborted`);
    this.name = 'PhaseTimeoutError';
  }
}

/** Awaits p, rejecting with PhaseTimeoutError when it is not done within limitMs. */
export async function within<T>(phase: string, limitMs: number, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new PhaseTimeoutError(phase, limitMs)), limitMs)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}
