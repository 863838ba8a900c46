import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerMounts, etcHostsMount, managedHostsContent, MountError, podHostname, readTerminationMessage, terminationLogMount } from './container-mounts.js';

describe('container mounts', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-mnt-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('maps volumeMounts to host paths with subPath, subPathExpr and readOnly', async () => {
    const data = join(root, 'data');
    const cfg = join(root, 'cfg');
    await mkdir(data);
    await mkdir(cfg);
    await writeFile(join(cfg, 'app.conf'), 'x');
    const vols = new Map([
      ['data', { hostPath: data, readOnly: false }],
      ['cfg', { hostPath: cfg, readOnly: true }],
    ]);
    const c = {
      name: 'c',
      volumeMounts: [
        { name: 'data', mountPath: '/data' },
        { name: 'data', mountPath: '/logs', subPath: 'logs/app', readOnly: true },
        { name: 'data', mountPath: '/mine', subPathExpr: 'pods/$(POD_NAME)' },
        { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        { name: 'cfg', mountPath: '/etc/cfg', mountPropagation: 'HostToContainer' },
      ],
    };
    const mounts = await containerMounts(c, vols, [{ name: 'POD_NAME', value: 'web-1' }]);
    assert.deepEqual(mounts, [
      { containerPath: '/data', hostPath: data, readOnly: false },
      { containerPath: '/logs', hostPath: join(data, 'logs/app'), readOnly: true },
      { containerPath: '/mine', hostPath: join(data, 'pods/web-1'), readOnly: false },
      { containerPath: '/etc/app.conf', hostPath: join(cfg, 'app.conf'), readOnly: true },
      { containerPath: '/etc/cfg', hostPath: cfg, readOnly: true },
    ]);
    assert.ok((await stat(join(data, 'logs/app'))).isDirectory()); // created before the runtime mounts it
    assert.ok((await stat(join(data, 'pods/web-1'))).isDirectory());
    await assert.rejects(containerMounts({ name: 'c', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, vols), (e: any) => e instanceof MountError && e.message === 'cannot find volume "nope" to mount into container "c"');
    await assert.rejects(containerMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/x', subPathExpr: '$(UP)/x' }] }, vols, [{ name: 'UP', value: '..' }]), { message: "unable to provision SubPath `../x`: must not contain '..'" });
    await assert.rejects(containerMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '/abs' }] }, vols), { message: 'error SubPath `/abs` must not be an absolute path' });
  });

  it('writes the kubelet-managed /etc/hosts with the pod IP, hostname, subdomain FQDN and host aliases', async () => {
    const pod = {
      metadata: { name: 'web-0', namespace: 'shop', uid: 'u1' },
      spec: { hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }] },
    };
    const m = (await etcHostsMount({ rootDir: root, pod, container: { name: 'c' }, podIPs: ['10.42.0.8'] }))!;
    assert.deepEqual(m, { containerPath: '/etc/hosts', hostPath: join(root, 'pods/u1/etc-hosts'), readOnly: false });
    assert.equal(
      await readFile(m.hostPath, 'utf8'),
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        '10.42.0.8\tweb-0.web.shop.svc.cluster.local\tweb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n',
    );
    assert.match(managedHostsContent(['10.42.0.9'], 'plain', undefined), /\n10\.42\.0\.9\tplain\n$/);
    // No pod IP yet, or the container brings its own /etc/hosts: no mount.
    assert.equal(await etcHostsMount({ rootDir: root, pod, container: { name: 'c' }, podIPs: [] }), undefined);
    assert.equal(await etcHostsMount({ rootDir: root, pod, container: { name: 'c', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts' }] }, podIPs: ['10.42.0.8'] }), undefined);
  });

  it('host-network pods get the node hosts file plus their aliases', async () => {
    const nodeHosts = join(root, 'node-hosts');
    await writeFile(nodeHosts, '127.0.0.1 localhost\n192.168.0.2 node-a\n');
    const pod = { metadata: { name: 'h', namespace: 'd', uid: 'u2' }, spec: { hostNetwork: true, hostAliases: [{ ip: '1.2.3.4', hostnames: ['x'] }] } };
    const m = (await etcHostsMount({ rootDir: root, pod, container: { name: 'c' }, podIPs: [], nodeHostsFile: nodeHosts }))!;
    assert.equal(await readFile(m.hostPath, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.168.0.2 node-a\n\n# Entries added by HostAliases.\n1.2.3.4\tx\n');
  });

  it('hostname: spec.hostname, else the pod name cut to 63 characters without a trailing dash', () => {
    assert.deepEqual(podHostname({ metadata: { name: 'p', namespace: 'n' }, spec: {} }), { hostname: 'p', domain: undefined });
    const long = 'a'.repeat(62) + '-b';
    assert.equal(podHostname({ metadata: { name: long, namespace: 'n' }, spec: {} }).hostname, 'a'.repeat(62));
    assert.deepEqual(podHostname({ metadata: { name: 'p', namespace: 'n' }, spec: { hostname: 'h', subdomain: 's' } }, 'example.org'), { hostname: 'h', domain: 's.n.svc.example.org' });
  });

  it('gives each container instance a fresh world-writable termination-log file', async () => {
    const pod = { metadata: { uid: 'u3' } };
    const c = { name: 'app', terminationMessagePath: '/dev/termination-log' };
    const a = (await terminationLogMount(root, pod, c))!;
    const b = (await terminationLogMount(root, pod, c))!;
    assert.equal(a.containerPath, '/dev/termination-log');
    assert.match(a.hostPath, new RegExp(`^${join(root, 'pods/u3/containers/app')}/[0-9a-f]{8}$`));
    assert.notEqual(a.hostPath, b.hostPath);
    assert.equal((await stat(a.hostPath)).mode & 0o777, 0o666);
    await writeFile(a.hostPath, 'x'.repeat(5000));
    assert.equal((await readTerminationMessage(a.hostPath)).length, 4096);
    assert.equal(await terminationLogMount(root, pod, { name: 'x', terminationMessagePath: '' }), undefined);
  });
});
