import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConfigSource } from '../fake-config-source.js';
import { cleanupOrphanedPodDirs, setUpPodVolumes, tearDownPodVolumes, updatePodVolumes, VolumeSetupError } from './pod-volumes.js';
import { isMountPoint } from './tmpfs.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const files = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('..')).sort();
const pod = (volumes: any[], extra: any = {}) => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { app: 'a' }, annotations: { x: 'y' } },
  spec: { nodeName: 'n', serviceAccountName: 'sa', containers: [{ name: 'main', resources: { limits: { cpu: '500m', memory: '256Mi' } } }], volumes, ...extra },
  status: {},
});

describe('pod volumes', () => {
  let root: string;
  let src: FakeConfigSource;
  const ctx = () => ({ rootDir: root, source: src, mountTmpfs: false, addresses: { podIPs: ['10.42.0.3'], hostIPs: ['192.168.0.2'] } });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-vol-'));
    src = new FakeConfigSource();
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('configMap: every key (data and binaryData) with defaultMode, under kubernetes.io~configmap, read-only', async () => {
    src.addConfigMap('ns', 'cfg', { 'app.properties': 'a=1\n', other: 'o' }, { 'logo.bin': Buffer.from([0, 1, 2]).toString('base64') });
    const dirs = await setUpPodVolumes(pod([{ name: 'config', configMap: { name: 'cfg', defaultMode: 0o640 } }]), ctx());
    const d = dirs.get('config')!;
    assert.equal(d.hostPath, join(root, 'pods/uid-1/volumes/kubernetes.io~configmap/config'));
    assert.equal(d.readOnly, true);
    assert.deepEqual(await files(d.hostPath), ['app.properties', 'logo.bin', 'other']);
    assert.equal(await readFile(join(d.hostPath, 'app.properties'), 'utf8'), 'a=1\n');
    assert.deepEqual([...(await readFile(join(d.hostPath, 'logo.bin')))], [0, 1, 2]);
    assert.equal(await mode(join(d.hostPath, 'other')), 0o640);
  });

  it('configMap items: chosen keys at their paths with their modes; a missing key fails unless optional', async () => {
    src.addConfigMap('ns', 'cfg', { a: 'A', b: 'B' });
    const dirs = await setUpPodVolumes(pod([{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'a', path: 'conf/a.txt', mode: 0o400 }] } }]), ctx());
    const dir = dirs.get('v')!.hostPath;
    assert.deepEqual(await files(dir), ['conf']);
    assert.equal(await readFile(join(dir, 'conf/a.txt'), 'utf8'), 'A');
    assert.equal(await mode(join(dir, 'conf/a.txt')), 0o400);
    await assert.rejects(setUpPodVolumes(pod([{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'z' }] } }]), ctx()), {
      message: 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: zz',
    });
    const opt = await setUpPodVolumes(pod([{ name: 'w', configMap: { name: 'cfg', optional: true, items: [{ key: 'zz', path: 'z' }, { key: 'b', path: 'b' }] } }]), ctx());
    assert.deepEqual(await files(opt.get('w')!.hostPath), ['b']);
  });

  it('a missing ConfigMap or Secret fails the mount (FailedMount) unless optional, which gives an empty volume', async () => {
    await assert.rejects(setUpPodVolumes(pod([{ name: 'cfg', configMap: { name: 'nope' } }]), ctx()), (err: any) => {
      assert.ok(err instanceof VolumeSetupError);
      assert.equal(err.reason, 'FailedMount');
      assert.equal(err.message, 'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
      return true;
    });
    await assert.rejects(setUpPodVolumes(pod([{ name: 's', secret: { secretName: 'nope' } }]), ctx()), { message: 'MountVolume.SetUp failed for volume "s" : secret "nope" not found' });
    const dirs = await setUpPodVolumes(pod([{ name: 'c', configMap: { name: 'nope', optional: true } }, { name: 's', secret: { secretName: 'nope', optional: true } }]), ctx());
    assert.deepEqual(await files(dirs.get('c')!.hostPath), []);
    assert.deepEqual(await files(dirs.get('s')!.hostPath), []);
  });

  it('secret: decoded values, defaultMode and per-item mode', async () => {
    src.addSecret('ns', 'tls', { 'tls.crt': 'CERT', 'tls.key': 'KEY' });
    const dirs = await setUpPodVolumes(pod([{ name: 'certs', secret: { secretName: 'tls', defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'private/tls.key', mode: 0o400 }] } }]), ctx());
    const dir = dirs.get('certs')!.hostPath;
    assert.equal(dir, join(root, 'pods/uid-1/volumes/kubernetes.io~secret/certs'));
    assert.equal(await readFile(join(dir, 'tls.crt'), 'utf8'), 'CERT');
    assert.equal(await mode(join(dir, 'tls.crt')), 0o440);
    assert.equal(await mode(join(dir, 'private/tls.key')), 0o400);
    await assert.rejects(setUpPodVolumes(pod([{ name: 'x', secret: { secretName: 'tls', items: [{ key: 'ca', path: 'ca' }] } }]), ctx()), /references non-existent secret key: ca/);
  });

  it('configMap update re-projects in place: changed values, new keys, removed keys', async () => {
    src.addConfigMap('ns', 'cfg', { a: '1', b: '2' });
    const p = pod([{ name: 'v', configMap: { name: 'cfg' } }, { name: 'scratch', emptyDir: {} }]);
    const dir = (await setUpPodVolumes(p, ctx())).get('v')!.hostPath;
    await writeFile(join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch/data'), 'kept');
    src.addConfigMap('ns', 'cfg', { a: '10', c: '3' });
    await updatePodVolumes(p, ctx());
    assert.deepEqual(await files(dir), ['a', 'c']);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), '10');
    assert.equal(await readFile(join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch/data'), 'utf8'), 'kept');
  });

  it('downwardAPI: fields, labels, annotations and container resources as files', async () => {
    const dirs = await setUpPodVolumes(
      pod([
        {
          name: 'info',
          downwardAPI: {
            defaultMode: 0o644,
            items: [
              { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
              { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
              { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
              { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' }, mode: 0o600 },
            ],
          },
        },
      ]),
      ctx(),
    );
    const dir = dirs.get('info')!.hostPath;
    assert.equal(dir, join(root, 'pods/uid-1/volumes/kubernetes.io~downward-api/info'));
    const read = (f: string) => readFile(join(dir, f), 'utf8');
    assert.equal(await read('name'), 'p');
    assert.equal(await read('labels'), 'app="a"');
    assert.equal(await read('annotations'), 'x="y"');
    assert.equal(await read('ip'), '10.42.0.3');
    assert.equal(await read('mem'), '256');
    assert.equal(await read('cpu'), '500');
    assert.equal(await mode(join(dir, 'cpu')), 0o600);
  });

  it('projected: configMap, secret, downwardAPI and serviceAccountToken sources in one directory', async () => {
    src.addConfigMap('ns', 'kube-root-ca.crt', { 'ca.crt': 'CA' }).addSecret('ns', 's', { user: 'u' });
    const dirs = await setUpPodVolumes(
      pod([
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 0o644,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'api' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
              { secret: { name: 's', items: [{ key: 'user', path: 'creds/user', mode: 0o600 }] } },
              { secret: { name: 'absent', optional: true } },
            ],
          },
        },
      ]),
      ctx(),
    );
    const dir = dirs.get('kube-api-access')!.hostPath;
    assert.equal(dir, join(root, 'pods/uid-1/volumes/kubernetes.io~projected/kube-api-access'));
    assert.deepEqual(await files(dir), ['ca.crt', 'creds', 'namespace', 'token']);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-for-sa-1');
    assert.deepEqual(src.tokens, [{ audience: 'api', expirationSeconds: 3607 }]);
    assert.equal(await readFile(join(dir, 'namespace'), 'utf8'), 'ns');
    assert.equal(await mode(join(dir, 'creds/user')), 0o600);
    await assert.rejects(setUpPodVolumes(pod([{ name: 'pj', projected: { sources: [{ configMap: { name: 'absent' } }] } }]), ctx()), { message: 'MountVolume.SetUp failed for volume "pj" : configmap "absent" not found' });
    await updatePodVolumes(pod([{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'api' } }] } }]), ctx());
    assert.equal(src.tokens.length, 1); // the token is reused until 80% of its lifetime has passed
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-for-sa-1');
  });

  it('emptyDir: a world-writable directory; teardown removes the pod directory', async () => {
    const dirs = await setUpPodVolumes(pod([{ name: 'cache', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory' } }]), ctx());
    const cache = dirs.get('cache')!;
    assert.equal(cache.hostPath, join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/cache'));
    assert.equal(cache.readOnly, false);
    assert.equal(await mode(cache.hostPath), 0o777);
    assert.equal(await mode(dirs.get('mem')!.hostPath), 0o777); // no tmpfs allowed: a plain directory
    await tearDownPodVolumes(root, 'uid-1');
    await assert.rejects(lstat(join(root, 'pods/uid-1')), { code: 'ENOENT' });
    await tearDownPodVolumes(root, 'uid-1'); // idempotent
    await assert.rejects(tearDownPodVolumes(root, '../x'), /invalid pod uid/);
  });

  it('housekeeping removes the directories of pods that are gone and keeps the others', async () => {
    src.addConfigMap('ns', 'cfg', { a: '1' });
    const vols = [{ name: 'v', configMap: { name: 'cfg' } }];
    await setUpPodVolumes({ ...pod(vols), metadata: { ...pod(vols).metadata, uid: 'keep' } }, ctx());
    await setUpPodVolumes({ ...pod(vols), metadata: { ...pod(vols).metadata, uid: 'gone' } }, ctx());
    assert.deepEqual(await cleanupOrphanedPodDirs(root, new Set(['keep'])), ['gone']);
    assert.deepEqual(await readdir(join(root, 'pods')), ['keep']);
    assert.deepEqual(await cleanupOrphanedPodDirs(join(root, 'nothing-here'), new Set()), []);
  });

  it('hostPath: type checks, DirectoryOrCreate and FileOrCreate create what is missing', async () => {
    const host = join(root, 'host');
    await mkdir(host);
    await writeFile(join(host, 'file'), 'f');
    const sock = createServer().listen(join(host, 'sock'));
    await new Promise((r) => sock.once('listening', r));
    try {
      const ok = await setUpPodVolumes(
        pod([
          { name: 'any', hostPath: { path: join(host, 'missing-but-untyped'), type: '' } },
          { name: 'd', hostPath: { path: host, type: 'Directory' } },
          { name: 'doc', hostPath: { path: join(host, 'new/dir'), type: 'DirectoryOrCreate' } },
          { name: 'f', hostPath: { path: join(host, 'file'), type: 'File' } },
          { name: 'foc', hostPath: { path: join(host, 'new.log'), type: 'FileOrCreate' } },
          { name: 's', hostPath: { path: join(host, 'sock'), type: 'Socket' } },
        ]),
        ctx(),
      );
      assert.deepEqual(ok.get('d'), { hostPath: host, readOnly: false });
      assert.ok((await stat(join(host, 'new/dir'))).isDirectory());
      assert.equal(await mode(join(host, 'new/dir')), 0o755);
      assert.ok((await stat(join(host, 'new.log'))).isFile());
      const fails: [string, string, string][] = [
        [join(host, 'file'), 'Directory', 'is not a directory'],
        [join(host, 'nothing'), 'Directory', 'is not a directory'],
        [join(host, 'file'), 'DirectoryOrCreate', 'is not a directory'],
        [host, 'File', 'is not a file'],
        [host, 'FileOrCreate', 'is not a file'],
        [join(host, 'file'), 'Socket', 'is not a socket file'],
        [join(host, 'file'), 'CharDevice', 'is not a character device'],
        [join(host, 'file'), 'BlockDevice', 'is not a block device'],
      ];
      for (const [path, type, what] of fails)
        await assert.rejects(setUpPodVolumes(pod([{ name: 'h', hostPath: { path, type } }]), ctx()), { message: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${path} ${what}` });
      await assert.rejects(setUpPodVolumes(pod([{ name: 'h', hostPath: { path: host, type: 'Weird' } }]), ctx()), /Weird is an invalid volume type/);
      await tearDownPodVolumes(root, 'uid-1');
      assert.equal(await readFile(join(host, 'file'), 'utf8'), 'f'); // hostPath contents survive teardown
    } finally {
      sock.close();
    }
  });
});

describe('fsGroup (needs root to chown)', () => {
  const skip = process.getuid?.() !== 0 ? 'needs root to change file groups' : false;
  it('gives volumes to the pod fsGroup: setgid directories, group-readable read-only files', { skip }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-fsgroup-'));
    const src = new FakeConfigSource().addSecret('ns', 's', { key: 'k' });
    try {
      const p = pod([{ name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } }, { name: 'scratch', emptyDir: {} }], { securityContext: { fsGroup: 2000 } });
      const dirs = await setUpPodVolumes(p, { rootDir: root, source: src, mountTmpfs: false });
      const key = await stat(join(dirs.get('sec')!.hostPath, 'key'));
      assert.equal(key.gid, 2000);
      assert.equal(key.mode & 0o7777, 0o440); // 0400 | 0440, as upstream shows secrets with fsGroup
      const data = await stat(join(dirs.get('sec')!.hostPath, '..data/'));
      assert.equal(data.gid, 2000);
      assert.equal(data.mode & 0o2000, 0o2000);
      const scratch = await stat(dirs.get('scratch')!.hostPath);
      assert.equal(scratch.gid, 2000);
      assert.equal(scratch.mode & 0o7777, 0o2777);
      // Unchanged contents are not rewritten on refresh despite the adjusted modes.
      const before = await readdir(dirs.get('sec')!.hostPath);
      await updatePodVolumes(p, { rootDir: root, source: src, mountTmpfs: false });
      assert.deepEqual(await readdir(dirs.get('sec')!.hostPath), before);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('memory-backed volumes (tmpfs, needs root)', () => {
  const skip = process.getuid?.() !== 0 ? 'needs root to mount tmpfs' : false;
  it('mounts emptyDir medium Memory as tmpfs with its sizeLimit, secrets on tmpfs, and unmounts at teardown', { skip }, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-tmpfs-'));
    const src = new FakeConfigSource().addSecret('ns', 's', { k: 'v' });
    try {
      let dirs;
      try {
        dirs = await setUpPodVolumes(pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }, { name: 'sec', secret: { secretName: 's' } }]), { rootDir: root, source: src });
      } catch (err) {
        if (/permission denied|must be superuser|Operation not permitted/i.test(String((err as any).cause?.stderr ?? err))) return t.skip('mount not permitted here');
        throw err;
      }
      const mem = dirs.get('mem')!.hostPath;
      assert.equal(await isMountPoint(mem), true);
      const info = await readFile('/proc/self/mountinfo', 'utf8');
      const line = info.split('\n').find((l) => l.split(' ')[4] === mem)!;
      assert.match(line, / - tmpfs tmpfs .*size=8192k/);
      // sizeLimit above the pod's memory limit (256Mi) is capped by it.
      const capped = await setUpPodVolumes({ ...pod([{ name: 'big', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }]), metadata: { name: 'p2', namespace: 'ns', uid: 'uid-2' } }, { rootDir: root, source: src });
      const bigLine = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === capped.get('big')!.hostPath)!;
      assert.match(bigLine, /size=262144k/);
      await tearDownPodVolumes(root, 'uid-2');
      assert.equal(await isMountPoint(dirs.get('sec')!.hostPath), true);
      assert.equal(await readFile(join(dirs.get('sec')!.hostPath, 'k'), 'utf8'), 'v');
      await tearDownPodVolumes(root, 'uid-1');
      assert.equal(await isMountPoint(mem), false);
      await assert.rejects(lstat(join(root, 'pods/uid-1')), { code: 'ENOENT' });
    } finally {
      await tearDownPodVolumes(root, 'uid-1').catch(() => {});
      await tearDownPodVolumes(root, 'uid-2').catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  });
});
