/** Resolves a probe's or hook's port (a number, or the name of one of the container's ports) as upstream's extractPort. */
export function resolvePort(port: unknown, container: any): number {
  if (typeof port === 'number') return checkPort(port);
  if (typeof port === 'string') {
    if (/^\d+$/.test(port)) return checkPort(Number(port));
    const named = (container?.ports ?? []).find((p: any) => p.name === port);
    if (named) return checkPort(named.containerPort);
    throw new Error(`couldn't find port: ${port} in ${JSON.stringify(container?.ports ?? [])}`);
  }
  throw new Error(`invalid port: ${String(port)}`);
}

function checkPort(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n >= 65536) throw new Error(`invalid port number: ${n}`);
  return n;
}

/** host:port as Go's net.JoinHostPort writes it (IPv6 in brackets). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
