/**
 * tmpfs mounts for memory-backed volumes (emptyDir medium Memory, secrets), through
 * util-linux mount(8)/umount(8), and the mount table to find what is mounted under a
 * pod's directory at teardown.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points from /proc/self/mountinfo (octal escapes such as \040 decoded). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))));
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountPoints()).includes(dir);
}

/** Mounts a tmpfs at `dir` unless one is there already; `sizeBytes` caps it. */
export async function mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  if (await isMountPoint(dir)) return;
  const opts = ['mode=0777', ...(sizeBytes && sizeBytes > 0 ? [`size=${Math.ceil(sizeBytes)}`] : [])].join(',');
  await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

/** Unmounts every mount point under `root` (deepest first). */
export async function unmountUnder(root: string): Promise<void> {
  const prefix = root.endsWith('/') ? root : root + '/';
  const under = (await mountPoints()).filter((m) => m.startsWith(prefix)).sort((a, b) => b.length - a.length);
  for (const m of [...new Set(under)]) await run('umount', [m]);
}

/** Whether this process may mount filesystems (root; a failed mount falls back to a directory). */
export const canMount = () => process.getuid?.() === 0;
