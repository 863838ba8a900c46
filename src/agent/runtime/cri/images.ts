/**
 * The images every node has without a registry (there is no internet here): built from
 * the host's static busybox (Debian busybox-static) and imported into containerd's
 * k8s.io namespace, where the CRI looks for images.
 *   skiff.local/pause:3.9       the pod sandbox: `sleep inf` holds the namespaces
 *   skiff.local/busybox:latest  sh, httpd, nc, wget, ... (`sh` by default, like busybox)
 * `skiff images import` brings a user's OCI or docker archive into the same namespace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../util/log.js';
import { ociArchive, type TarEntry } from './oci-archive.js';
import { PAUSE_IMAGE } from './containerd.js';

export const BUSYBOX_IMAGE = 'skiff.local/busybox:latest';
export const BUSYBOX_BINARY = '/usr/bin/busybox';
export const CRI_NAMESPACE = 'k8s.io';

/** A root filesystem with busybox and a symlink per applet (at the path busybox lists for it). */
export function busyboxRootfs(binary = BUSYBOX_BINARY): TarEntry[] {
  const list = spawnSync(binary, ['--list-full'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${binary} --list-full failed: ${list.stderr}`);
  const dirs = new Set(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'root', 'home', 'var', 'var/www', 'dev', 'proc', 'sys', 'run']);
  const links: TarEntry[] = [];
  for (const p of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    if (p === 'bin/busybox') continue;
    links.push({ path: p, type: 'symlink', linkname: '/bin/busybox' });
    dirs.add(p.slice(0, p.lastIndexOf('/')));
  }
  const file = (path: string, text: string, mode = 0o644): TarEntry => ({ path, type: 'file', mode, data: Buffer.from(text) });
  return [
    ...[...dirs].sort().map((d): TarEntry => ({ path: d, type: 'dir', mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 })),
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(binary) },
    ...links,
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'),
    file('etc/group', 'root:x:0:\nnobody:x:65534:\n'),
    file('etc/hosts', '127.0.0.1\tlocalhost\n'),
  ];
}

/** The archive with skiff's built-in images (pause and busybox share their one layer). */
export function builtinImagesArchive(binary = BUSYBOX_BINARY): { archive: Buffer; digests: Record<string, string> } {
  const rootfs = busyboxRootfs(binary);
  return ociArchive([
    { name: PAUSE_IMAGE, layers: [rootfs], entrypoint: ['/bin/sleep'], cmd: ['inf'] },
    { name: BUSYBOX_IMAGE, layers: [rootfs], cmd: ['sh'] },
  ]);
}

function ctr(socket: string, args: string[], input?: Buffer): { ok: boolean; out: string } {
  const r = spawnSync('ctr', ['-a', socket, '-n', CRI_NAMESPACE, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Imports an OCI or docker image archive into the node's containerd (k8s.io namespace). */
export function importArchive(o: { socket: string; file: string; snapshotter?: string }): string {
  const args = ['images', 'import', '--no-unpack=false'];
  if (o.snapshotter) args.push('--snapshotter', o.snapshotter);
  const r = ctr(o.socket, [...args, o.file]);
  if (!r.ok) throw new Error(`importing ${o.file} failed: ${r.out.trim()}`);
  return r.out;
}

/** Names of the images containerd has in the k8s.io namespace. */
export function listImageNames(socket: string): string[] {
  const r = ctr(socket, ['images', 'list', '-q']);
  if (!r.ok) throw new Error(`listing images failed: ${r.out.trim()}`);
  return r.out.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** Builds the built-in images and imports those containerd lacks (at every agent start: cheap when present). */
export function ensureBuiltinImages(o: { socket: string; dataDir: string; snapshotter: string; log: Logger }): void {
  if (!existsSync(BUSYBOX_BINARY)) throw new Error(`${BUSYBOX_BINARY} is missing: install Debian's busybox-static to build the pause image`);
  const have = new Set(listImageNames(o.socket));
  if (have.has(PAUSE_IMAGE) && have.has(BUSYBOX_IMAGE)) return;
  const t0 = Date.now();
  const dir = join(o.dataDir, 'agent', 'images');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'skiff-builtin.tar');
  writeFileSync(file, builtinImagesArchive().archive);
  importArchive({ socket: o.socket, file, snapshotter: o.snapshotter });
  o.log.info('built-in images imported', { images: [PAUSE_IMAGE, BUSYBOX_IMAGE], ms: Date.now() - t0 });
}
