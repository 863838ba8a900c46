/**
 * The cluster token of a server on a shared datastore, kept in `<data-dir>/token` as k3s
 * keeps `server/token`: `--token` wins (and is remembered), else the remembered one, else
 * a new random token, which other servers and agents then need to join.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function tokenPath(dataDir: string): string {
  return join(dataDir, 'token');
}

export function resolveClusterToken(dataDir: string, flag: string | undefined): { token: string; generated: boolean } {
  const f = tokenPath(dataDir);
  const remembered = existsSync(f) ? readFileSync(f, 'utf8').trim() : '';
  if (flag) {
    if (flag !== remembered) writeFileSync(f, flag + '\n', { mode: 0o600 });
    return { token: flag, generated: false };
  }
  if (remembered) return { token: remembered, generated: false };
  const token = randomBytes(24).toString('hex');
  writeFileSync(f, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}
