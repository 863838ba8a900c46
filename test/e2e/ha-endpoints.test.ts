/**
 * The built-in Services' endpoints with two `skiff server`s on one etcd (upstream's lease
 * endpoint reconciler): the servers listen on one port at two loopback addresses, as
 * real API servers share a port on different machines, and the `kubernetes` Endpoints
 * and EndpointSlice, and the kube-dns EndpointSlice, list both addresses, sorted. A
 * server killed with SIGKILL leaves them once its lease's TTL (--endpoint-reconciler-ttl,
 * 3 s here) is over; one stopped with SIGTERM takes itself out on its way down.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { EtcdCluster, etcdAvailable } from '../../src/store/etcd-process.js';
import { Cluster } from './cluster.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';
const token = 'ha-endpoints-token';
const [A, B] = ['127.0.0.2', '127.0.0.3'];

/** A TCP port free on `host` (its twin on the other loopback address is then almost surely free too). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('HA: the kubernetes and kube-dns endpoints list every live server', { skip }, () => {
  let etcd: EtcdCluster;
  let s1: Cluster;
  let s2: Cluster;
  let apiPort = 0;
  let dnsPort = 0;
  const args = (ip: string) => ['--datastore-endpoint', etcd.endpoints.join(','), '--token', token, '--bind-address', ip, '--https-listen-port', String(apiPort), '--dns-listen', `${ip}:${dnsPort}`, '--endpoint-reconciler-ttl', '3s'];

  before(async () => {
    etcd = await EtcdCluster.start(1);
    apiPort = await freePort(A);
    dnsPort = await freePort(A);
    s1 = await Cluster.start(args(A));
    s2 = await Cluster.start(args(B));
  });

  after(async () => {
    await s1?.destroy();
    await s2?.destroy();
    await etcd?.stop();
  });

  /** "ip,ip:port" per subset of the kubernetes Endpoints, through kubectl. */
  const apiEndpoints = async (c: Cluster) => (await c.k(['get', 'endpoints', 'kubernetes', '-n', 'default', '-o', 'jsonpath={range .subsets[*]}{.addresses[*].ip}:{.ports[0].port}{"\\n"}{end}'])).trim().replace(/ /g, ',');
  const sliceAddresses = async (c: Cluster, ns: string, name: string) => {
    const s = JSON.parse(await c.k(['get', 'endpointslice', name, '-n', ns, '-o', 'json']));
    return { addresses: s.endpoints.map((e: any) => e.addresses.join(',')).join(' '), ports: s.ports.map((p: any) => `${p.name}/${p.protocol}/${p.port}`).sort().join(' ') };
  };

  it('both servers are listed, sorted, in the kubernetes Endpoints and EndpointSlice and the kube-dns EndpointSlice', async () => {
    await s1.until('both API servers in the kubernetes endpoints', async () => (await apiEndpoints(s1)) === `${A},${B}:${apiPort}`, 20_000);
    assert.equal(await apiEndpoints(s2), `${A},${B}:${apiPort}`, 'one object, seen alike through either server');
    assert.deepEqual(await sliceAddresses(s2, 'default', 'kubernetes'), { addresses: `${A} ${B}`, ports: `https/TCP/${apiPort}` });
    await s1.until('both DNS servers in the kube-dns slice', async () => (await sliceAddresses(s1, 'kube-system', 'kube-dns')).addresses === `${A} ${B}`, 20_000);
    assert.deepEqual(await sliceAddresses(s1, 'kube-system', 'kube-dns'), { addresses: `${A} ${B}`, ports: `dns-tcp/TCP/${dnsPort} dns/UDP/${dnsPort}` });
    // Stable: the next renewals (every 2 s) rewrite nothing.
    const rv = JSON.parse(await s1.k(['get', 'endpoints', 'kubernetes', '-o', 'json'])).metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal(JSON.parse(await s1.k(['get', 'endpoints', 'kubernetes', '-o', 'json'])).metadata.resourceVersion, rv);
  });

  it('a server killed with SIGKILL leaves the endpoints after its lease TTL', async () => {
    await s2.kill();
    await s1.until('server 2 out of the kubernetes endpoints', async () => (await apiEndpoints(s1)) === `${A}:${apiPort}`, 20_000);
    assert.deepEqual(await sliceAddresses(s1, 'default', 'kubernetes'), { addresses: A, ports: `https/TCP/${apiPort}` });
    await s1.until('server 2 out of the kube-dns slice', async () => (await sliceAddresses(s1, 'kube-system', 'kube-dns')).addresses === A, 20_000);
    assert.doesNotMatch(await s1.k(['get', 'leases', '-n', 'kube-system', '-o', 'name']), new RegExp(B.replace(/\./g, '\\.')), 'its expired leases deleted');
  });

  it('a restarted server is listed again, and one stopped with SIGTERM takes itself out', async () => {
    await s2.restart();
    await s1.until('server 2 back in the kubernetes endpoints', async () => (await apiEndpoints(s1)) === `${A},${B}:${apiPort}`, 20_000);
    assert.equal(await s2.stop(), 0);
    assert.equal(await apiEndpoints(s1), `${A}:${apiPort}`);
    assert.equal((await sliceAddresses(s1, 'kube-system', 'kube-dns')).addresses, A);
  });
});
