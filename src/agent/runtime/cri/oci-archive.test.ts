import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ociArchive, tar } from './oci-archive.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('tar', () => {
  it('writes archives GNU tar reads back: files, modes, directories, symlinks, long paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-tar-'));
    try {
      const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`;
      const archive = tar([
        { path: 'bin', type: 'dir' },
        { path: 'bin/tool', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
        { path: 'bin/alias', type: 'symlink', linkname: '/bin/tool' },
        { path: 'tmp', type: 'dir', mode: 0o1777 },
        { path: long, type: 'file', data: Buffer.alloc(1000, 7) },
      ]);
      assert.equal(archive.length % 512, 0);
      writeFileSync(join(dir, 'a.tar'), archive);
      const list = spawnSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^-rwxr-xr-x .* bin\/tool$/m);
      assert.match(list.stdout, /^lrwxrwxrwx .* bin\/alias -> \/bin\/tool$/m);
      assert.match(list.stdout, /^drwxrwxrwt .* tmp\/$/m);
      const x = spawnSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
      assert.equal(x.status, 0, String(x.stderr));
      assert.deepEqual(readFileSync(join(dir, long)), Buffer.alloc(1000, 7));
      assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ociArchive', () => {
  it('lays out an OCI image whose blobs match their digests and whose index names the image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-oci-'));
    try {
      const { archive, digests } = ociArchive([{ name: 'example.test/app:1.2', layers: [[{ path: 'hello', type: 'file', data: Buffer.from('hi') }]], entrypoint: ['/hello'], cmd: ['x'] }]);
      writeFileSync(join(dir, 'i.tar'), archive);
      assert.equal(spawnSync('tar', ['-xf', join(dir, 'i.tar'), '-C', dir]).status, 0);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      const m = index.manifests[0];
      assert.equal(m.annotations['io.containerd.image.name'], 'example.test/app:1.2');
      assert.equal(m.annotations['org.opencontainers.image.ref.name'], '1.2');
      assert.equal(m.digest, digests['example.test/app:1.2']);
      const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice(7)));
      const manifest = JSON.parse(blob(m.digest).toString());
      assert.equal(sha(blob(m.digest)), m.digest.slice(7));
      const config = JSON.parse(blob(manifest.config.digest).toString());
      assert.deepEqual(config.config.Entrypoint, ['/hello']);
      assert.deepEqual(config.config.Cmd, ['x']);
      const layer = blob(manifest.layers[0].digest);
      assert.equal(layer.length, manifest.layers[0].size);
      // Uncompressed layer: its digest is also its diff_id.
      assert.equal(config.rootfs.diff_ids[0], manifest.layers[0].digest);
      // Same inputs, same bytes (fixed timestamps).
      assert.equal(sha(ociArchive([{ name: 'example.test/app:1.2', layers: [[{ path: 'hello', type: 'file', data: Buffer.from('hi') }]], entrypoint: ['/hello'], cmd: ['x'] }]).archive), sha(archive));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
