/**
 * Real pods: `skiff server` with its local node on containerd + runc + CNI, driven with
 * the real kubectl, inside a network namespace this suite creates (so no packet can
 * leave the machine). Pod IPs from the node's podCIDR, containers of a pod sharing
 * localhost, pod-to-pod traffic, init containers gating app containers, crash-loop
 * back-off, OOMKilled, `skiff images import`, image pull failures, and agent restarts
 * (SIGTERM and SIGKILL) that leave containers running untouched.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { httpGet, IN_NETNS } from '../netns.js';
import { realNodeSuite } from '../cri-node.js';
import { LocalRegistry, registryAvailable } from '../registry.js';
import { dockerArchive, ociArchive } from '../../src/agent/runtime/cri/oci-archive.js';
import { connectCri } from '../../src/agent/runtime/cri/client.js';
import { busyboxRootfs } from '../../src/agent/runtime/cri/images.js';

const root = new URL('../../..', import.meta.url).pathname;
const NODE = 'node1';
const NODE_IP = '192.168.77.1';
const IMAGE = 'skiff.local/busybox:latest';

function pod(name: string, spec: any): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
}
const ctr = (name: string, command: string[], extra: any = {}) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command, ...extra });

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const [base, bits] = cidr.split('/');
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(base) & mask) >>> 0);
}

realNodeSuite('real pods on containerd', { file: import.meta.url, nodeIp: NODE_IP, node: NODE, dataDirPrefix: 'skiff-cri-', serverArgs: ['--metric-resolution', '1s'], outerTimeoutMs: 600_000, waitFor: 'ready', readyTimeoutMs: 60_000 }, (env) => {
  let c: Cluster;
  const { dataDir, args } = env;
  let podCidr = '';

  const getPod = (name: string) => c.getJson(`/api/v1/namespaces/default/pods/${name}`);
  const status = (p: any, name: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === name);
  const waitPod = (name: string, what: string, check: (p: any) => boolean, timeoutMs = 60_000) =>
    c.until(`pod ${name}: ${what}`, async () => {
      const p = await getPod(name);
      return check(p) ? p : undefined;
    }, timeoutMs);
  const apply = (manifest: string) => c.k(['apply', '-f', '-'], { input: manifest });
  const nodeReady = () =>
    c.until('the node to be Ready with a pod CIDR', async () => {
      const n = await c.getJson(`/api/v1/nodes/${NODE}`);
      return n.spec?.podCIDR && n.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True' ? n : undefined;
    }, 60_000);

  before(async () => {
    c = env.c;
    podCidr = (await nodeReady()).spec.podCIDR;
  });

  it('runs a pod to Running with an IP from the node\'s podCIDR, reachable from the node', async () => {
    await apply(pod('web', { containers: [ctr('web', ['sh', '-c', 'mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www'])] }));
    const p = await waitPod('web', 'Running', (p) => p.status?.phase === 'Running' && !!p.status?.podIP);
    assert.ok(inCidr(p.status.podIP, podCidr), `${p.status.podIP} in ${podCidr}`);
    assert.equal(p.status.hostIP, NODE_IP);
    assert.match(status(p, 'web').containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.equal((await c.until('the pod to answer', () => httpGet(`http://${p.status.podIP}:8080/`))).trim(), 'hello-web');
    const table = await c.k(['get', 'pod', 'web', '-o', 'wide']);
    assert.match(table, new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+.*${p.status.podIP.replace(/\./g, '\\.')}\\s+${NODE}`));
  });

  it('reports real usage through metrics.k8s.io: kubectl top pod and node (CRI ContainerStats, host /proc)', async () => {
    await apply(pod('spin', { containers: [ctr('spin', ['sh', '-c', 'while true; do :; done'], { resources: { requests: { cpu: '100m', memory: '16Mi' } } })] }));
    await waitPod('spin', 'Running', (p) => p.status?.phase === 'Running');
    const top = await c.until('kubectl top pod spin', async () => {
      const r = await c.kubectl(['top', 'pod', 'spin', '--no-headers']);
      return r.code === 0 && r.stdout.trim().split(/\s+/);
    }, 60_000);
    assert.equal(top[0], 'spin');
    assert.ok(/^\d+m$/.test(top[1]) && parseInt(top[1]) >= 1, `a spinning container uses cpu: ${top.join(' ')}`);
    assert.ok(/^\d+Mi$/.test(top[2]), top.join(' '));
    const node = await c.until('kubectl top node', async () => {
      const r = await c.kubectl(['top', 'node', NODE, '--no-headers']);
      return r.code === 0 && r.stdout.trim().split(/\s+/);
    }, 60_000);
    assert.equal(node[0], NODE);
    assert.ok(parseInt(node[1]) >= parseInt(top[1]) / 2 && /^\d+%$/.test(node[2]) && parseInt(node[3]) > 0, node.join(' '));
    await c.k(['delete', 'pod', 'spin', '--wait=false']);
  });

  it('lets container B fetch from container A over localhost in one pod', async () => {
    await apply(
      pod('duo', {
        restartPolicy: 'Never',
        containers: [
          ctr('a', ['sh', '-c', 'mkdir -p /www && echo from-a > /www/index.html && exec httpd -f -p 8081 -h /www']),
          ctr('b', ['sh', '-c', 'for i in $(seq 1 40); do wget -q -O - http://localhost:8081/ | grep -q from-a && exit 0; sleep 0.25; done; exit 1']),
        ],
      }),
    );
    const p = await waitPod('duo', 'container b terminated', (p) => !!status(p, 'b')?.state?.terminated);
    assert.equal(status(p, 'b').state.terminated.exitCode, 0, JSON.stringify(status(p, 'b')));
    assert.equal(status(p, 'b').state.terminated.reason, 'Completed');
    assert.ok(status(p, 'a').state.running, 'a keeps serving');
  });

  it('lets a pod reach another pod by its IP', async () => {
    const web = await getPod('web');
    await apply(pod('client', { restartPolicy: 'Never', containers: [ctr('c', ['sh', '-c', `wget -q -O - http://${web.status.podIP}:8080/ | grep -q hello-web`])] }));
    const p = await waitPod('client', 'finished', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
    assert.equal(p.status.phase, 'Succeeded', JSON.stringify(p.status));
    assert.notEqual(p.status.podIP, web.status.podIP);
  });

  it('gives the container its command, args, workingDir, env, hostname, the cluster DNS and a managed /etc/hosts', async () => {
    await apply(
      pod('setup', {
        restartPolicy: 'Never',
        hostname: 'custom-host',
        subdomain: 'sub',
        hostAliases: [{ ip: '10.9.9.9', hostnames: ['alias-a', 'alias-b'] }],
        containers: [ctr('c', ['sh', '-c'], { args: ['echo "A=$A pwd=$(pwd) host=$(hostname)"; cat /etc/resolv.conf /etc/hosts'], workingDir: '/tmp', env: [{ name: 'A', value: 'x y' }] })],
      }),
    );
    const p = await waitPod('setup', 'Succeeded', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
    assert.equal(p.status.phase, 'Succeeded');
    // The container's output, from its CRI log file.
    const log = readFileSync(join(dataDir, 'agent', 'pod-logs', `default_setup_${p.metadata.uid}`, 'c', '0.log'), 'utf8');
    const lines = log.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
    assert.equal(lines[0], 'A=x y pwd=/tmp host=custom-host');
    assert.ok(lines.includes('nameserver 10.43.0.10'), log);
    assert.ok(lines.includes('search default.svc.cluster.local svc.cluster.local cluster.local'), log);
    assert.ok(lines.includes('options ndots:5'), log);
    // The kubelet-managed /etc/hosts: its own IP and FQDN, then the host aliases.
    assert.ok(lines.includes('# Kubernetes-managed hosts file.'), log);
    assert.ok(lines.includes(`${p.status.podIP}\tcustom-host.sub.default.svc.cluster.local\tcustom-host`), log);
    assert.ok(lines.includes('10.9.9.9\talias-a\talias-b'), log);
  });

  it('applies the securityContext (runAsUser, readOnlyRootFilesystem) and shareProcessNamespace', async () => {
    await apply(
      pod('secure', {
        restartPolicy: 'Never',
        shareProcessNamespace: true,
        securityContext: { runAsUser: 1234, runAsGroup: 2345 },
        containers: [
          ctr('sleeper', ['sleep', '3600']),
          ctr('probe', ['sh', '-c', 'sleep 1; echo "uid=$(id -u) gid=$(id -g)"; (touch /x 2>/dev/null && echo writable) || echo read-only; ps -o args | grep -c "^sleep 3600"'], { securityContext: { readOnlyRootFilesystem: true } }),
        ],
      }),
    );
    const p = await waitPod('secure', 'probe done', (p) => !!status(p, 'probe')?.state?.terminated);
    const log = readFileSync(join(dataDir, 'agent', 'pod-logs', `default_secure_${p.metadata.uid}`, 'probe', '0.log'), 'utf8');
    const lines = log.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
    assert.deepEqual(lines, ['uid=1234 gid=2345', 'read-only', '1'], log);
  });

  it('forwards a hostPort on the node address to the pod (CNI portmap)', async () => {
    await apply(pod('hostport', { containers: [ctr('web', ['sh', '-c', 'mkdir -p /www && echo via-hostport > /www/index.html && exec httpd -f -p 8080 -h /www'], { ports: [{ containerPort: 8080, hostPort: 18080 }] })] }));
    await waitPod('hostport', 'Running', (p) => p.status?.phase === 'Running');
    assert.equal((await c.until('the hostPort to answer', () => httpGet(`http://${NODE_IP}:18080/`))).trim(), 'via-hostport');
  });

  it('runs a hostNetwork pod in the node\'s network namespace with the node IP', async () => {
    await apply(pod('hostnet', { hostNetwork: true, containers: [ctr('web', ['sh', '-c', 'mkdir -p /www && echo on-the-host > /www/index.html && exec httpd -f -p 18081 -h /www'])] }));
    const p = await waitPod('hostnet', 'Running', (p) => p.status?.phase === 'Running');
    assert.equal(p.status.podIP, NODE_IP);
    assert.equal((await c.until('the host-network pod to answer on loopback', () => httpGet('http://127.0.0.1:18081/'))).trim(), 'on-the-host');
  });

  it('starts app containers only after the init containers completed, in order', async () => {
    await apply(pod('init', { initContainers: [ctr('first', ['sleep', '2']), ctr('second', ['true'])], containers: [ctr('app', ['sleep', '3600'])] }));
    const pending = await waitPod('init', 'first init container running', (p) => !!status(p, 'first')?.state?.running);
    assert.equal(pending.status.phase, 'Pending');
    assert.equal(pending.status.conditions.find((x: any) => x.type === 'Initialized').status, 'False');
    assert.ok(status(pending, 'second')?.state?.waiting, 'second waits for first');
    assert.ok(!status(pending, 'app')?.state?.running, 'app waits for init');
    const p = await waitPod('init', 'Running', (p) => p.status?.phase === 'Running');
    const first = status(p, 'first').state.terminated;
    const second = status(p, 'second').state.terminated;
    assert.equal(first.exitCode, 0);
    assert.equal(second.exitCode, 0);
    assert.ok(Date.parse(second.startedAt) >= Date.parse(first.finishedAt), 'second after first');
    assert.ok(Date.parse(status(p, 'app').state.running.startedAt) >= Date.parse(second.finishedAt), 'app after init');
    assert.equal(p.status.conditions.find((x: any) => x.type === 'Initialized').status, 'True');
  });

  it('fails a pod whose init container fails under restartPolicy Never, without starting the app', async () => {
    await apply(pod('badinit', { restartPolicy: 'Never', initContainers: [ctr('setup', ['sh', '-c', 'exit 3'])], containers: [ctr('app', ['sleep', '3600'])] }));
    const p = await waitPod('badinit', 'Failed', (p) => p.status?.phase === 'Failed');
    assert.equal(status(p, 'setup').state.terminated.exitCode, 3);
    assert.ok(!status(p, 'app')?.state?.running && !status(p, 'app')?.state?.terminated, JSON.stringify(status(p, 'app')));
  });

  it('puts a crashing container into CrashLoopBackOff with a growing restartCount', async () => {
    await apply(pod('crash', { containers: [ctr('c', ['sh', '-c', 'exit 1'])] }));
    const p = await waitPod('crash', 'CrashLoopBackOff after restarts', (p) => status(p, 'c')?.state?.waiting?.reason === 'CrashLoopBackOff' && status(p, 'c').restartCount >= 2, 90_000);
    const s = status(p, 'c');
    assert.equal(s.lastState.terminated.exitCode, 1);
    assert.equal(s.lastState.terminated.reason, 'Error');
    assert.match(s.state.waiting.message, /back-off \d+s restarting failed container=c/);
    assert.equal(p.status.phase, 'Running');
    const table = await c.k(['get', 'pod', 'crash']);
    assert.match(table, /crash\s+0\/1\s+CrashLoopBackOff\s+\d+/);
  });

  it('treats a container that cannot start as exited with StartError and backs off restarting it', async () => {
    await apply(pod('nostart', { containers: [ctr('c', ['/no/such/binary'])] }));
    const p = await waitPod('nostart', 'restarted after StartError', (p) => status(p, 'c')?.restartCount >= 1 && !!(status(p, 'c').lastState?.terminated ?? status(p, 'c').state?.terminated), 60_000);
    const t = status(p, 'c').lastState?.terminated ?? status(p, 'c').state.terminated;
    assert.equal(t.reason, 'StartError', JSON.stringify(status(p, 'c')));
    assert.equal(t.exitCode, 128);
  });

  it('turns requests and limits into the container\'s cgroup settings (cpu shares and quota, memory limit)', { skip: existsSync('/sys/fs/cgroup/cpu/kubepods') || existsSync('/sys/fs/cgroup/cpu') ? false : 'needs cgroups v1' }, async () => {
    await apply(pod('limited', { containers: [ctr('c', ['sleep', '3600'], { resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } } })] }));
    const p = await waitPod('limited', 'Running', (p) => p.status?.phase === 'Running');
    assert.equal(p.status.qosClass, 'Burstable');
    const id = status(p, 'c').containerID.replace('containerd://', '');
    const dir = (ctl: string) => `/sys/fs/cgroup/${ctl}/kubepods/burstable/pod${p.metadata.uid}/${id}`;
    const read = (ctl: string, file: string) => readFileSync(join(dir(ctl), file), 'utf8').trim();
    assert.equal(read('cpu', 'cpu.shares'), '256');
    assert.equal(read('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  });

  it('ends a container over its memory limit as OOMKilled', async () => {
    await apply(
      pod('hog', {
        restartPolicy: 'Never',
        // busybox tail keeps the whole "line" of /dev/zero in memory: it grows until killed.
        containers: [ctr('hog', ['tail', '/dev/zero'], { resources: { limits: { memory: '24Mi' } } })],
      }),
    );
    const p = await waitPod('hog', 'terminated', (p) => !!status(p, 'hog')?.state?.terminated);
    const t = status(p, 'hog').state.terminated;
    assert.equal(t.reason, 'OOMKilled', JSON.stringify(t));
    assert.equal(t.exitCode, 137);
    assert.equal(p.status.phase, 'Failed');
  });

  it('runs images brought in with `skiff images import` (OCI and docker archives)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-img-'));
    const file = join(dir, 'hello.tar');
    writeFileSync(file, ociArchive([{ name: 'example.test/hello:1.0', layers: [busyboxRootfs()], entrypoint: ['sh', '-c', 'exit 7'] }]).archive);
    const r = spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'images', 'import', '--data-dir', dataDir, file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const list = spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'images', 'list', '--data-dir', dataDir], { encoding: 'utf8' });
    assert.match(list.stdout, /^example\.test\/hello:1\.0$/m);
    await apply(pod('imported', { restartPolicy: 'Never', containers: [{ name: 'hello', image: 'example.test/hello:1.0', imagePullPolicy: 'Never' }] }));
    const p = await waitPod('imported', 'terminated', (p) => !!status(p, 'hello')?.state?.terminated);
    // The image's own entrypoint ran.
    assert.equal(status(p, 'hello').state.terminated.exitCode, 7);
    // A `docker save` archive too.
    const dockerFile = join(dir, 'docker.tar');
    writeFileSync(dockerFile, dockerArchive({ name: 'example.test/docker-saved:3', layers: [busyboxRootfs()], entrypoint: ['sh', '-c', 'exit 9'] }));
    const d = spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'images', 'import', '--data-dir', dataDir, dockerFile], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(d.status, 0, d.stderr + d.stdout);
    await apply(pod('docker-saved', { restartPolicy: 'Never', containers: [{ name: 'x', image: 'example.test/docker-saved:3', imagePullPolicy: 'Never' }] }));
    const q = await waitPod('docker-saved', 'terminated', (p) => !!status(p, 'x')?.state?.terminated);
    assert.equal(status(q, 'x').state.terminated.exitCode, 9);
  });

  it('reports ErrImagePull then ImagePullBackOff for an image that cannot be pulled, ErrImageNeverPull and InvalidImageName', async () => {
    // A registry on a closed loopback port: the pull fails at once, nothing leaves the namespace.
    await apply(pod('nopull', { containers: [{ name: 'x', image: '127.0.0.1:1/missing/image:1.0', imagePullPolicy: 'IfNotPresent' }] }));
    const seen = new Set<string>();
    await waitPod('nopull', 'ImagePullBackOff', (p) => {
      const r = status(p, 'x')?.state?.waiting?.reason;
      if (r) seen.add(r);
      return r === 'ImagePullBackOff';
    });
    const p = await getPod('nopull');
    assert.equal(p.status.phase, 'Pending');
    assert.match(status(p, 'x').state.waiting.message, /Back-off pulling image "127\.0\.0\.1:1\/missing\/image:1\.0"/);
    const table = await c.k(['get', 'pod', 'nopull']);
    assert.match(table, /nopull\s+0\/1\s+(ImagePullBackOff|ErrImagePull)\s+0/);
    await apply(pod('neverpull', { containers: [{ name: 'x', image: 'example.test/absent:1.0', imagePullPolicy: 'Never' }] }));
    const n = await waitPod('neverpull', 'ErrImageNeverPull', (p) => status(p, 'x')?.state?.waiting?.reason === 'ErrImageNeverPull');
    assert.match(status(n, 'x').state.waiting.message, /Container image "example\.test\/absent:1\.0" is not present with pull policy of Never/);
    await apply(pod('badname', { containers: [{ name: 'x', image: 'example.test/Bad:1.0', imagePullPolicy: 'IfNotPresent' }] }));
    const b = await waitPod('badname', 'InvalidImageName', (p) => status(p, 'x')?.state?.waiting?.reason === 'InvalidImageName');
    assert.match(status(b, 'x').state.waiting.message, /couldn't parse image name "example\.test\/Bad:1\.0"/);
  });

  it('pulls from a registry on loopback with imagePullSecrets; without them the pull fails', { skip: registryAvailable() ? false : 'needs docker-registry' }, async () => {
    const reg = await LocalRegistry.start(5055, { auth: true });
    try {
      const digest = await reg.push('team/app', '2.0', { layers: [busyboxRootfs()], entrypoint: ['sh', '-c', 'exit 5'] });
      const image = `${reg.host}/team/app:2.0`;
      await apply(pod('private-nocred', { restartPolicy: 'Never', containers: [{ name: 'app', image, imagePullPolicy: 'Always' }] }));
      const denied = await waitPod('private-nocred', 'the pull to fail', (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(status(p, 'app')?.state?.waiting?.reason));
      assert.match(status(denied, 'app').state.waiting.message ?? '', /pull|401|unauthorized/i);
      await c.k(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${reg.host}`, `--docker-username=${LocalRegistry.USER}`, `--docker-password=${LocalRegistry.PASSWORD}`]);
      await apply(pod('private', { restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'app', image, imagePullPolicy: 'Always' }] }));
      const p = await waitPod('private', 'terminated', (p) => !!status(p, 'app')?.state?.terminated, 90_000);
      // The pushed image's entrypoint ran.
      assert.equal(status(p, 'app').state.terminated.exitCode, 5);
      assert.ok(status(p, 'app').imageID.includes(digest.slice(7)) || status(p, 'app').imageID.startsWith('sha256:'), status(p, 'app').imageID);
    } finally {
      reg.stop();
    }
  });

  it('keeps containers running, unrestarted, across agent restarts (SIGTERM, SIGKILL) and a containerd crash', async () => {
    await apply(pod('steady', { containers: [ctr('s', ['sleep', '3600'])] }));
    const before = await waitPod('steady', 'Running', (p) => p.status?.phase === 'Running');
    const id = status(before, 's').containerID;
    const started = status(before, 's').state.running.startedAt;
    const webBefore = status(await getPod('web'), 'web').containerID;
    const check = async (how: string) => {
      // A new pod running to completion shows the new agent is up (it adopts before it syncs).
      await apply(pod(`after-${how.toLowerCase()}`, { restartPolicy: 'Never', containers: [ctr('a', ['true'])] }));
      await waitPod(`after-${how.toLowerCase()}`, 'Succeeded', (p) => p.status?.phase === 'Succeeded');
      const p = await getPod('steady');
      assert.equal(status(p, 's').containerID, id, `${how}: same container`);
      assert.equal(status(p, 's').restartCount, 0, `${how}: not restarted`);
      assert.equal(status(p, 's').state.running?.startedAt, started, `${how}: still running since ${started}`);
      assert.equal(status(await getPod('web'), 'web').containerID, webBefore, `${how}: web untouched`);
      const podIP = p.status.podIP;
      assert.equal(podIP, before.status.podIP);
    };
    await c.restart();
    await check('SIGTERM');
    await c.kill();
    c = env.c = await Cluster.start(args, dataDir);
    await check('SIGKILL');
    // containerd itself killed: the agent starts it again; containers run on under their shims.
    const pidFile = join(dataDir, 'containerd', 'containerd.pid');
    const oldPid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(oldPid, 'SIGKILL');
    await c.until('containerd to be started again', async () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      return pid !== oldPid && existsSync(`/proc/${pid}`);
    });
    await check('containerd');
  });

  it('re-creates a pod whose sandbox died, its containers counting a restart', async () => {
    await apply(pod('phoenix', { containers: [ctr('c', ['sleep', '3600'])] }));
    const before = await waitPod('phoenix', 'Running', (p) => p.status?.phase === 'Running' && status(p, 'c')?.state?.running);
    const socket = join(dataDir, 'containerd', 'containerd.sock');
    const killPause = async () => {
      const cri = connectCri(socket);
      const sandboxes = (await cri.runtime.ListPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.uid': before.metadata.uid }, state: { state: 'SANDBOX_READY' } } })).items;
      cri.close();
      assert.equal(sandboxes.length, 1);
      const tasks = spawnSync('ctr', ['-a', socket, '-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' }).stdout;
      const pausePid = Number(tasks.split('\n').find((l) => l.startsWith(sandboxes[0].id))?.split(/\s+/)[1]);
      assert.ok(pausePid > 0, tasks);
      process.kill(pausePid, 'SIGKILL');
    };
    await killPause();
    const after = await waitPod('phoenix', 'running again in a new sandbox', (p) => status(p, 'c')?.restartCount === 1 && !!status(p, 'c')?.state?.running);
    assert.notEqual(status(after, 'c').containerID, status(before, 'c').containerID);
    assert.ok(status(after, 'c').lastState.terminated, JSON.stringify(status(after, 'c')));
    assert.equal(after.status.phase, 'Running');
    // The same while no agent runs (as after a reboot): the next agent re-creates the pod.
    await c.kill();
    await killPause();
    c = env.c = await Cluster.start(args, dataDir);
    const again = await waitPod('phoenix', 'running in a third sandbox', (p) => status(p, 'c')?.restartCount === 2 && !!status(p, 'c')?.state?.running);
    assert.notEqual(status(again, 'c').containerID, status(after, 'c').containerID);
  });

  it('stops and removes a deleted pod\'s containers and logs', async () => {
    const p = await getPod('web');
    const logDir = join(dataDir, 'agent', 'pod-logs', `default_web_${p.metadata.uid}`);
    assert.ok(existsSync(join(logDir, 'web', '0.log')), 'the container log is in the pod log directory');
    await c.k(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    await c.until('the pod log directory to go', async () => !existsSync(logDir));
    // Its QoS-tier cgroup went too (cgroups v1: checked in the memory hierarchy).
    const cgroup = `/sys/fs/cgroup/memory/kubepods/besteffort/pod${p.metadata.uid}`;
    if (existsSync('/sys/fs/cgroup/memory/kubepods')) assert.ok(!existsSync(cgroup), `${cgroup} removed`);
    await c.until('the pod IP to stop answering', async () => {
      try {
        await httpGet(`http://${p.status.podIP}:8080/`);
        return false;
      } catch {
        return true;
      }
    });
  });
});

if (!IN_NETNS) {
  describe('the cri runtime without what it needs', () => {
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
    it('refuses to start an agent as a non-root user, naming what is missing', { skip: process.getuid?.() === 0 && setpriv ? false : 'needs root and setpriv to become nobody' }, () => {
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(root, 'bin/skiff.js'), 'agent', '--server', 'https://127.0.0.1:1', '--token', 't', '--data-dir', '/nonexistent'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /the cri runtime cannot start: missing root/);
      assert.match(r.stderr, /--simulated/);
    });
    it('refuses an agent whose --container-runtime-endpoint does not exist', () => {
      const r = spawnSync(process.execPath, [join(root, 'bin/skiff.js'), 'agent', '--container-runtime-endpoint', '/nonexistent/containerd.sock', '--server', 'https://127.0.0.1:1', '--token', 't'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /CRI socket \/nonexistent\/containerd\.sock \(--container-runtime-endpoint\) does not exist/);
    });
  });
}
