/** IPv4 addresses and CIDR blocks as 32-bit numbers. */

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(s: unknown): s is string {
  return typeof s === 'string' && /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((x) => Number(x) <= 255 && String(Number(x)) === x);
}

export interface Cidr {
  text: string;
  base: number;
  bits: number;
  size: number;
}

export function parseCidr(text: string): Cidr {
  const [ip, b] = text.split('/');
  const bits = Number(b);
  if (!isIPv4(ip) || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid CIDR address: ${text}`);
  const size = 2 ** (32 - bits);
  const base = ipToInt(ip) - (ipToInt(ip) % size);
  return { text: `${intToIp(base)}/${bits}`, base, bits, size };
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + c.size;
}
