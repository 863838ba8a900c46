/**
 * Exact resource.Quantity arithmetic for quota and limit ranges: a quantity is held as
 * a bigint of nano-units (upstream's smallest scale) with the format it was written in,
 * and prints canonically as upstream's Quantity.String() does — "500m", "1", "1k",
 * "128Mi"; a binary quantity that is not a whole number of Ki prints as a decimal one.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Value in nano-units (1 = 1e-9 of the base unit), rounded up as upstream rounds. */
  nanos: bigint;
  format: QuantityFormat;
}

const NANO = 1_000_000_000n;
const BIN: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DEC_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY_RE = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

export const QUANTITY_FORMAT_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {}

/** Parses "100m", "1.5Gi", "2", "1e3"; throws QuantityError on anything else. */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === 'number' ? String(input) : String(input ?? '').trim();
  const m = QUANTITY_RE.exec(s);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_MSG);
  const [, sign, num, suffix = ''] = m;
  const [intPart, fracPart = ''] = num.split('.');
  // digits as an integer with `frac` decimal places
  const digits = BigInt((intPart || '0') + fracPart);
  const frac = fracPart.length;
  let format: QuantityFormat = 'DecimalSI';
  let numer = digits * NANO; // nanos * 10^frac
  let denom = 10n ** BigInt(frac);
  if (BIN[suffix] !== undefined) {
    format = 'BinarySI';
    numer *= BIN[suffix];
  } else {
    let exp: number;
    if (/^[eE]/.test(suffix)) {
      format = 'DecimalExponent';
      exp = Number(suffix.slice(1));
    } else exp = DEC_EXP[suffix];
    if (exp >= 0) numer *= 10n ** BigInt(exp);
    else denom *= 10n ** BigInt(-exp);
  }
  let nanos = numer / denom;
  if (numer % denom !== 0n) nanos += 1n; // upstream rounds up to the nearest nano
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

export function isQuantity(v: unknown): boolean {
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  try {
    parseQuantity(v);
    return true;
  } catch {
    return false;
  }
}

const DEC_SUFFIX: [bigint, string][] = [
  [10n ** 27n, 'E'], [10n ** 24n, 'P'], [10n ** 21n, 'T'], [10n ** 18n, 'G'], [10n ** 15n, 'M'], [10n ** 12n, 'k'], [NANO, ''], [10n ** 6n, 'm'], [10n ** 3n, 'u'], [1n, 'n'],
];
const BIN_SUFFIX: [bigint, string][] = Object.entries(BIN).reverse().map(([s, v]) => [v * NANO, s]);

/** Quantity.String(): the canonical form in the quantity's format. */
export function formatQuantity(q: Quantity): string {
  const neg = q.nanos < 0n;
  const abs = neg ? -q.nanos : q.nanos;
  const sign = neg ? '-' : '';
  if (abs === 0n) return '0';
  if (q.format === 'BinarySI' && abs % NANO === 0n) {
    for (const [unit, s] of BIN_SUFFIX) if (abs % unit === 0n) return `${sign}${abs / unit}${s}`;
    // Below 1Ki (or not a whole Ki): upstream prints a plain integer.
    return `${sign}${abs / NANO}`;
  }
  if (q.format === 'DecimalExponent') {
    for (const [unit, s] of DEC_SUFFIX) {
      if (abs % unit === 0n) {
        const exp = { E: 18, P: 15, T: 12, G: 9, M: 6, k: 3, '': 0, m: -3, u: -6, n: -9 }[s]!;
        return exp === 0 ? `${sign}${abs / unit}` : `${sign}${abs / unit}e${exp}`;
      }
    }
  }
  for (const [unit, s] of DEC_SUFFIX) if (abs % unit === 0n) return `${sign}${abs / unit}${s}`;
  return `${sign}${abs}n`;
}

/** Canonical form of a quantity string ("1000m" → "1", "1024Mi" → "1Gi"). */
export const canonicalQuantity = (v: string | number): string => formatQuantity(parseQuantity(v));

/** Quantity.Add: the sum keeps the first operand's format, unless that operand is zero. */
export const addQuantity = (a: Quantity, b: Quantity): Quantity => ({ nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format });
export const subQuantity = (a: Quantity, b: Quantity): Quantity => ({ nanos: a.nanos - b.nanos, format: a.format });
export const cmpQuantity = (a: Quantity, b: Quantity): number => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0);
export const zeroQuantity = (): Quantity => ({ nanos: 0n, format: 'DecimalSI' });
export const quantityOfInt = (n: number): Quantity => ({ nanos: BigInt(n) * NANO, format: 'DecimalSI' });

/** Value() (rounded up to a whole unit) and MilliValue() (rounded up to a milli-unit), as numbers. */
export function quantityValue(q: Quantity): number {
  const v = q.nanos / NANO;
  return Number(q.nanos % NANO > 0n ? v + 1n : v);
}
export function quantityMilliValue(q: Quantity): number {
  const v = q.nanos / 1_000_000n;
  return Number(q.nanos % 1_000_000n > 0n ? v + 1n : v);
}

/** A ResourceList (name → quantity string) as parsed quantities. */
export type ResourceList = Map<string, Quantity>;

export function parseResourceList(list: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    try {
      out.set(k, parseQuantity(v as string));
    } catch {
      /* validation refuses such lists; arithmetic ignores the entry */
    }
  }
  return out;
}

export function resourceListToJson(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = formatQuantity(list.get(k)!);
  return out;
}
