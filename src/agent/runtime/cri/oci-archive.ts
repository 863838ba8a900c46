/**
 * Builds OCI image archives (the tar that `ctr images import`, `docker load` of an OCI
 * layout and `skiff images import` take) without a registry or a build tool: one
 * uncompressed layer tar, the image config, a manifest and index.json, all addressed by
 * sha256. Timestamps are fixed so the same inputs always give the same digests.
 */
import { createHash } from 'node:crypto';

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  data?: Buffer;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header (512 bytes); paths over 100 bytes go through the prefix field. */
function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: path too long: ${e.path}`);
  }
  h.write(name, 0, 100);
  h.write(octal(e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644), 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime: fixed for reproducible digests
  h.write('        ', 148); // checksum placeholder (spaces while summing)
  h.write(e.type === 'file' ? '0' : e.type === 'symlink' ? '2' : '5', 156);
  if (e.linkname) h.write(e.linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** A tar archive of the entries (in order), with the two zero blocks that end it. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(e, data.length), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface ImageSpec {
  /** Full reference, e.g. skiff.local/busybox:latest. */
  name: string;
  layers: TarEntry[][];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

export interface BuiltImage {
  manifest: Buffer;
  manifestDigest: string;
  /** Every blob the manifest refers to (config and layers), by digest. */
  blobs: Map<string, Buffer>;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** One image: its layer tars, config and manifest, each addressed by sha256. */
export function buildImage(img: ImageSpec): BuiltImage {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => {
    const d = sha256(b);
    blobs.set(d, b);
    return d;
  };
  const layerBlobs = img.layers.map((l) => tar(l));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: img.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(img.entrypoint ? { Entrypoint: img.entrypoint } : {}),
        ...(img.cmd ? { Cmd: img.cmd } : {}),
        ...(img.workingDir ? { WorkingDir: img.workingDir } : {}),
      },
      rootfs: { type: 'layers', diff_ids: layerBlobs.map(sha256) },
      history: [{ created_by: 'skiff image builder' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: layerBlobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: put(b), size: b.length })),
    }),
  );
  return { manifest, manifestDigest: sha256(manifest), blobs };
}

/** An OCI image layout as one tar: oci-layout, index.json (naming the images), blobs/sha256/*. */
export function ociArchive(images: ImageSpec[]): { archive: Buffer; digests: Record<string, string> } {
  const blobs = new Map<string, Buffer>();
  const manifests: any[] = [];
  const digests: Record<string, string> = {};
  for (const img of images) {
    const built = buildImage(img);
    for (const [d, b] of built.blobs) blobs.set(d, b);
    const manifest = built.manifest;
    const md = built.manifestDigest;
    blobs.set(md, manifest);
    digests[img.name] = md;
    const tag = img.name.slice(img.name.lastIndexOf(':') + 1);
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: md,
      size: manifest.length,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { 'io.containerd.image.name': img.name, 'org.opencontainers.image.ref.name': tag },
    });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const entries: TarEntry[] = [
    { path: 'oci-layout', type: 'file', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { path: 'index.json', type: 'file', data: index },
    { path: 'blobs', type: 'dir' },
    { path: 'blobs/sha256', type: 'dir' },
    ...[...blobs].map(([d, b]) => ({ path: `blobs/sha256/${d.slice(7)}`, type: 'file' as const, data: b })),
  ];
  return { archive: tar(entries), digests };
}

/**
 * The same image as a `docker save` archive (manifest.json with RepoTags, the config as
 * <hex>.json, each layer as <hex>/layer.tar): the other format `skiff images import` takes.
 */
export function dockerArchive(img: ImageSpec): Buffer {
  const built = buildImage(img);
  const manifest = JSON.parse(built.manifest.toString());
  const hex = (d: string) => d.slice('sha256:'.length);
  const layers = manifest.layers.map((l: any) => `${hex(l.digest)}/layer.tar`);
  const entries: TarEntry[] = [
    { path: 'manifest.json', type: 'file', data: Buffer.from(JSON.stringify([{ Config: `${hex(manifest.config.digest)}.json`, RepoTags: [img.name], Layers: layers }])) },
    { path: `${hex(manifest.config.digest)}.json`, type: 'file', data: built.blobs.get(manifest.config.digest)! },
  ];
  for (const l of manifest.layers) entries.push({ path: hex(l.digest), type: 'dir' }, { path: `${hex(l.digest)}/layer.tar`, type: 'file', data: built.blobs.get(l.digest)! });
  return tar(entries);
}

