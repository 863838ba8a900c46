/**
 * A parser for the subset of the Prometheus text format the kubelet's /metrics/resource
 * uses: `name{label="v",...} value [timestampMs]` lines, `#` comments. Counters in
 * seconds are kept exact as nanoseconds when written in plain decimal.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The value × 1e9, exact for plain decimals (cpu seconds → core-nanoseconds). */
  nanos: number;
  timestampMs?: number;
}

/** Decimal text × 1e9 without float error ("12.345000000" → 12345000000). */
export function decimalToNanos(text: string): number {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return Math.round(Number(text) * 1e9);
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return Number(BigInt(m[1]) * 1_000_000_000n + BigInt(frac || '0'));
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1], labels: m[2] ? parseLabels(m[2]) : {}, value: Number(m[3]), nanos: decimalToNanos(m[3]), timestampMs: m[4] !== undefined ? Number(m[4]) : undefined });
  }
  return out;
}
