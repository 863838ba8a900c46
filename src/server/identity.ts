/**
 * A server's stable identity (<hostname>_<id kept in the data dir>): leader election uses
 * it, so a restarted server takes back its own Lease at once instead of waiting for it
 * to expire, while two servers never share one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export function serverIdentity(dataDir: string): string {
  const f = join(dataDir, 'server-id');
  let id = existsSync(f) ? readFileSync(f, 'utf8').trim() : '';
  if (!id) {
    id = randomBytes(6).toString('hex');
    writeFileSync(f, id + '\n');
  }
  return `${hostname()}_${id}`;
}
