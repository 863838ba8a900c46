/**
 * hostPath volumes: the host path itself, after the type check the kubelet makes
 * (DirectoryOrCreate / FileOrCreate create what is missing; the others must already be
 * that kind of file). An empty type checks nothing.
 */
import { closeSync, openSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';

const statOf = (p: string) => stat(p).catch(() => undefined);

export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  const st = await statOf(path);
  const fail = (what: string) => new Error(`hostPath type check failed: ${path} is not a ${what}`);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
    // falls through: what exists must be a directory
    case 'Directory':
      if (!st?.isDirectory()) throw fail('directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        // The parent must exist, as upstream (no MkdirAll for files).
        closeSync(openSync(path, 'a', 0o644));
        return;
      }
    // falls through
    case 'File':
      if (!st?.isFile()) throw fail('file');
      return;
    case 'Socket':
      if (!st?.isSocket()) throw fail('socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail('character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail('block device');
      return;
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}
