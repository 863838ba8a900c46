/**
 * Atomic projection of files into a volume directory, after the kubelet's AtomicWriter,
 * so a container sees either the old or the new set of files, never a mix:
 *
 *   <dir>/..2026_11_30_14_02_11.Ab12Cd/  one timestamped directory per version
 *   <dir>/..data -> ..2026_11_30_14_02_11.Ab12Cd   swapped with one rename(2)
 *   <dir>/<key>  -> ..data/<key>         user-visible names resolve through ..data
 *
 * A new version is written only when the payload differs from the current one; the old
 * timestamped directory is removed after the swap, and user-visible names whose keys
 * left the payload are removed.
 */
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer | string;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** Rejects paths that could escape the volume or collide with the writer's own names. */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (p.length > 4096) throw new Error(`invalid path: must be less than or equal to 4096 characters`);
  if (posix.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  const parts = p.split('/');
  if (parts.some((s) => s.length > 255)) throw new Error(`invalid path: path segment too long: ${p}`);
  if (parts.includes('..')) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (parts[0].startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
}

/** Go-style UTC timestamp prefix of the version directories: ..2006_01_02_15_04_05. */
function tsPrefix(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function readCurrent(dir: string): Promise<Map<string, { data: Buffer; mode: number }>> {
  const out = new Map<string, { data: Buffer; mode: number }>();
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else {
        const st = await stat(join(dir, r));
        out.set(r, { data: await readFile(join(dir, r)), mode: st.mode & 0o7777 });
      }
    }
  };
  await walk('');
  return out;
}

/** Gives a tree to a group (files keep their modes, directories get setgid), as SetVolumeOwnership. */
async function chownTree(dir: string, gid: number): Promise<void> {
  await chown(dir, -1, gid);
  await chmod(dir, ((await stat(dir)).mode & 0o7777) | 0o2000);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, gid);
    else await chown(p, -1, gid);
  }
}

const exists = (p: string) => lstat(p).then(() => true, () => false);
const topLevel = (paths: Iterable<string>) => new Set([...paths].map((p) => p.split('/')[0]));

/**
 * Writes the payload into `targetDir`; returns true when a new version was made. Paths
 * may contain '/' (items' paths such as `conf/app.yaml`).
 */
export interface WriteOptions {
  now?: () => Date;
  /** Group owning the files and directories (the pod's fsGroup); directories get setgid. */
  gid?: number;
  /** Called after the new version is written and before ..data is swapped (tests). */
  beforeSwap?: () => void | Promise<void>;
}

export async function writeAtomic(targetDir: string, payload: Map<string, FileProjection>, opts: WriteOptions = {}): Promise<boolean> {
  const now = opts.now ?? (() => new Date());
  for (const p of payload.keys()) validatePayloadPath(p);
  await mkdir(targetDir, { recursive: true });
  const dataLink = join(targetDir, DATA_DIR);
  const oldTs = await readlink(dataLink).catch(() => undefined);
  let old = new Map<string, { data: Buffer; mode: number }>();
  if (oldTs) old = await readCurrent(join(targetDir, oldTs)).catch(() => new Map());
  const norm = new Map([...payload].map(([p, f]) => [posix.normalize(p), { data: Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data), mode: f.mode }]));

  const same = oldTs !== undefined && old.size === norm.size && [...norm].every(([p, f]) => old.get(p)?.data.equals(f.data) && old.get(p)?.mode === f.mode);
  if (!same) {
    const tsDir = await mkdtemp(join(targetDir, tsPrefix(now())));
    await chmod(tsDir, 0o755);
    for (const [p, f] of norm) {
      const file = join(tsDir, p);
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      await writeFile(file, f.data, { mode: f.mode });
      await chmod(file, f.mode); // not subject to the umask
    }
    if (opts.gid !== undefined) await chownTree(tsDir, opts.gid);
    const tmp = join(targetDir, DATA_TMP);
    await rm(tmp, { force: true });
    await symlink(posix.basename(tsDir), tmp);
    await opts.beforeSwap?.();
    await rename(tmp, dataLink); // the swap: readers see the old or the new version
  }

  // User-visible names: one symlink per top-level entry, through ..data.
  const fresh = topLevel(norm.keys());
  for (const name of fresh) {
    const link = join(targetDir, name);
    if (!(await exists(link))) await symlink(posix.join(DATA_DIR, name), link);
  }
  for (const name of topLevel(old.keys())) if (!fresh.has(name)) await unlink(join(targetDir, name)).catch(() => {});
  if (!same && oldTs) await rm(join(targetDir, oldTs), { recursive: true, force: true });
  return !same;
}
