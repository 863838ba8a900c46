/** A raw watch stream for e2e tests: every event line, parsed, as it arrives. */
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import type { Cluster } from './cluster.js';

export function watchLines(c: Cluster, path: string, accept?: string): { lines: any[]; close: () => void; ready: Promise<void> } {
  const u = new URL(path, c.url);
  const lines: any[] = [];
  let req: ReturnType<typeof request>;
  const ready = new Promise<void>((resolve, reject) => {
    req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, ca: c.creds!.caPem, cert: c.creds!.certPem, key: c.creds!.keyPem, headers: accept ? { accept } : {}, agent: false }, (res) => {
      resolve();
      res.on('error', () => {});
      const rl = createInterface({ input: res });
      rl.on('error', () => {});
      rl.on('line', (l) => lines.push(JSON.parse(l)));
    });
    req.on('error', reject);
    req.end();
  });
  return { lines, ready, close: () => req.destroy() };
}
