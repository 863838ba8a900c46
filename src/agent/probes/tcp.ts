/** tcpSocket probes, as the kubelet's TCP prober: success when a connection opens within the timeout. */
import { connect } from 'node:net';
import { dialError } from './http.js';
import { joinHostPort } from './ports.js';
import type { ProbeOutcome } from './types.js';

export function probeTcp(host: string, port: number, timeoutSeconds: number): Promise<ProbeOutcome> {
  const hostPort = joinHostPort(host, port);
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const t = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', output: `dial tcp ${hostPort}: i/o timeout` });
    }, timeoutSeconds * 1000);
    sock.once('connect', () => {
      clearTimeout(t);
      sock.destroy();
      resolve({ result: 'success', output: '' });
    });
    sock.once('error', (err) => {
      clearTimeout(t);
      resolve({ result: 'failure', output: dialError(err as NodeJS.ErrnoException, hostPort) });
    });
  });
}
