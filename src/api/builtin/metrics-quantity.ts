/**
 * Quantities as the Metrics API writes them (resource.Quantity's canonical form):
 * cpu from nano-cores (NewScaledQuantity(n, -9)), memory from bytes (BinarySI), and
 * durations as Go's time.Duration prints them (the `window` field).
 *   cpuQuantity(1234567)      → "1234567n"     cpuQuantity(250_000_000) → "250m"
 *   memoryQuantity(2814136320) → "2748180Ki"   memoryQuantity(64 << 20) → "64Mi"
 */

/** Nano-cores in canonical decimal form: trailing zeros go in steps of 1000 (n → u → m → whole). */
export function cpuQuantity(nanoCores: number): string {
  let v = BigInt(Math.max(0, Math.round(nanoCores)));
  if (v === 0n) return '0';
  const suffixes = ['n', 'u', 'm', '', 'k', 'M', 'G'];
  let i = 0;
  while (i < suffixes.length - 1 && v % 1000n === 0n) {
    v /= 1000n;
    i++;
  }
  return `${v}${suffixes[i]}`;
}

/** Bytes in canonical BinarySI form (Ki, Mi, ... while exact); below 1024 the decimal form. */
export function memoryQuantity(bytes: number): string {
  let v = BigInt(Math.max(0, Math.round(bytes)));
  if (v < 1024n) {
    if (v === 0n) return '0';
    return v % 1000n === 0n ? `${v / 1000n}k` : String(v);
  }
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < suffixes.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v}${suffixes[i]}`;
}

/** A duration as Go's time.Duration.String(): "15s", "20.064s", "1m0.5s", "1h2m3s", "500ms". */
export function goDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const sMs = total % 60_000;
  const secs = `${Math.floor(sMs / 1000)}${sMs % 1000 ? `.${String(sMs % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  if (h) return `${h}h${m}m${secs}`;
  if (m) return `${m}m${secs}`;
  return secs;
}
