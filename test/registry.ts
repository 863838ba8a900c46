/**
 * A real OCI registry for pull tests: Debian's docker-registry on loopback (inside the
 * suite's network namespace), storage in a temp dir, and a push of an image built in
 * memory through the registry HTTP API (blob uploads, then the manifest).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, OCI_MANIFEST, type ImageSpec } from '../src/agent/runtime/cri/oci-archive.js';

export const registryAvailable = () => spawnSync('sh', ['-c', 'command -v docker-registry']).status === 0;

export class LocalRegistry {
  private constructor(
    readonly host: string,
    private readonly proc: ChildProcess,
    private readonly dir: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** With auth, the registry asks for basic auth as USER / PASSWORD. */
  static readonly USER = 'skiff';
  static readonly PASSWORD = 's3cret';
  /** bcrypt (cost 4) of PASSWORD, for the registry's htpasswd file. */
  private static readonly HTPASSWD = 'skiff:$2b$04$kvkh6vouihLYtcUNF6.bDec/GfOZUygUGYbhAcxujtuNfeRaleODm\n';

  static async start(port: number, o: { auth?: boolean } = {}): Promise<LocalRegistry> {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
    const config = join(dir, 'config.yml');
    let auth = '';
    if (o.auth) {
      writeFileSync(join(dir, 'htpasswd'), LocalRegistry.HTPASSWD);
      auth = `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
    const proc = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    const headers: Record<string, string> = o.auth ? { authorization: `Basic ${Buffer.from(`${LocalRegistry.USER}:${LocalRegistry.PASSWORD}`).toString('base64')}` } : {};
    const r = new LocalRegistry(`127.0.0.1:${port}`, proc, dir, headers);
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://${r.host}/v2/`, { headers }).then((x) => x.status === 200, () => false);
      if (ok) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    r.stop();
    throw new Error('docker-registry did not answer on /v2/');
  }

  /** Pushes an image built from spec as <repo>:<tag>; returns the manifest digest. */
  async push(repo: string, tag: string, spec: Omit<ImageSpec, 'name'>): Promise<string> {
    const img = buildImage({ ...spec, name: `${this.host}/${repo}:${tag}` });
    for (const [digest, blob] of img.blobs) {
      const start = await fetch(`http://${this.host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: this.headers });
      if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
      const loc = new URL(start.headers.get('location')!, `http://${this.host}`);
      loc.searchParams.set('digest', digest);
      const put = await fetch(loc, { method: 'PUT', body: new Uint8Array(blob), headers: { ...this.headers, 'content-type': 'application/octet-stream' } });
      if (put.status !== 201) throw new Error(`blob upload ${digest}: ${put.status} ${await put.text()}`);
    }
    const m = await fetch(`http://${this.host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: new Uint8Array(img.manifest), headers: { ...this.headers, 'content-type': OCI_MANIFEST } });
    if (m.status !== 201) throw new Error(`manifest push: ${m.status} ${await m.text()}`);
    return img.manifestDigest;
  }

  stop(): void {
    this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
