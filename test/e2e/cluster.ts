/**
 * End-to-end fixture: a real `skiff server` process on a temporary data dir (any free
 * port), driven with the machine's real kubectl and raw HTTPS. Every wait is bounded;
 * stop() checks the server exits cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { credentialsFromKubeconfig, type Credentials } from '../../src/client/rest.js';

const root = new URL('../../..', import.meta.url).pathname;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Path of a versioned kubectl (kubectl.1.27 ...) installed beside the real kubectl, if any. */
export function kubectlVersion(minor: number): string | undefined {
  try {
    const real = realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
    const p = join(dirname(real), `kubectl.1.${minor}`);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export class Cluster {
  child?: ChildProcess;
  kubeconfig = '';
  url = '';
  creds?: Credentials;
  private log = '';

  private constructor(
    readonly dataDir: string,
    private readonly args: string[],
  ) {}

  static async start(args: string[] = [], dataDir?: string): Promise<Cluster> {
    const c = new Cluster(dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-')), args);
    await c.boot();
    return c;
  }

  private async boot(): Promise<void> {
    this.kubeconfig = join(this.dataDir, 'kubeconfig.yaml');
    rmSync(this.kubeconfig, { force: true });
    this.log = '';
    // Suites run side by side: each server's cluster DNS takes a free port unless a suite picks one.
    const dns = this.args.includes('--dns-listen') ? [] : ['--dns-listen', '127.0.0.1:0'];
    // No real local node (containerd, pod networking on this machine) unless a suite asks
    // for one with --real-node, which only suites inside their own network namespace do.
    const args = this.args.includes('--real-node') ? this.args.filter((a) => a !== '--real-node') : this.args.includes('--disable-agent') ? this.args : ['--disable-agent', ...this.args];
    const child = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'server', '--data-dir', this.dataDir, '--https-listen-port', '0', ...dns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 30_000;
    while (!existsSync(this.kubeconfig)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`skiff server exited with ${child.exitCode}:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`skiff server did not write its kubeconfig in 30s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.creds = credentialsFromKubeconfig(this.kubeconfig);
    this.url = this.creds.server;
    while ((await this.raw('GET', '/readyz')).code !== 200) {
      if (Date.now() > deadline) throw new Error(`skiff server not ready in 30s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  logs(): string {
    return this.log;
  }

  /** Runs kubectl against this cluster; never throws on a non-zero exit. */
  kubectl(args: string[], o: { input?: string; bin?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const p = spawn(o.bin ?? 'kubectl', ['--kubeconfig', this.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '',
        stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(o.input ?? '');
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], o: { input?: string; bin?: string } = {}): Promise<string> {
    const r = await this.kubectl(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** A raw HTTPS request with the admin credentials (or none, with anonymous). */
  raw(method: string, path: string, o: { body?: string | Buffer; contentType?: string; anonymous?: boolean; accept?: string; headers?: Record<string, string> } = {}): Promise<{ code: number; body: string; json: any; headers: Record<string, unknown> }> {
    const u = new URL(path, this.url);
    const c = this.creds!;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname + u.search,
          method,
          ca: c.caPem,
          cert: o.anonymous ? undefined : c.certPem,
          key: o.anonymous ? undefined : c.keyPem,
          headers: { ...(o.body !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}), ...(o.accept ? { accept: o.accept } : {}), ...(o.headers ?? {}) },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => {
            let json: any;
            try {
              json = JSON.parse(body);
            } catch {
              json = undefined;
            }
            resolve({ code: res.statusCode ?? 0, body, json, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      if (o.body !== undefined) req.write(o.body);
      req.end();
    });
  }

  async getJson(path: string): Promise<any> {
    const r = await this.raw('GET', path);
    if (r.code !== 200) throw new Error(`GET ${path}: ${r.code} ${r.body}`);
    return r.json;
  }

  /** Polls until check returns a truthy value (bounded). */
  async until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      try {
        const v = await check();
        if (v) return v;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await done;
    clearTimeout(t);
    return code;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await done;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function readKubeconfig(c: Cluster): string {
  return readFileSync(c.kubeconfig, 'utf8');
}
