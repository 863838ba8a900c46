/**
 * Services end to end with the real kubectl on simulated nodes: ClusterIPs and NodePorts
 * allocated once and never twice (also across a restart), chosen values refused with the
 * field named, EndpointSlices and Endpoints following pods (named ports, readiness,
 * scaling past 100 endpoints), selector-less Services left to their users, and the
 * `kubernetes` Service.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: httpd
        image: busybox:1.36
        command: ["httpd", "-f", "-p", "8080"]
        ports: [{name: http, containerPort: 8080}]
`;

describe('services on simulated nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2', '--simulated-node-capacity', 'cpu=32,memory=64Gi,pods=200']);
    await c.until('2 ready nodes', async () => (await c.getJson('/api/v1/nodes')).items.filter((n: any) => n.spec?.podCIDR).length === 2);
  });
  after(async () => {
    await c.destroy();
  });

  const slicesOf = async (svc: string) => (await c.getJson(`/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`)).items;
  const readyIps = (slices: any[]) =>
    slices
      .flatMap((s) => s.endpoints ?? [])
      .filter((e: any) => e.conditions.ready)
      .map((e: any) => e.addresses[0])
      .sort();

  it('has the kubernetes Service at the first service IP, with this server as its endpoint', async () => {
    const svc = await c.getJson('/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.spec.clusterIP, '10.43.0.1');
    const port = Number(new URL(c.url).port);
    const [slice] = await slicesOf('kubernetes');
    assert.deepEqual(slice.ports, [{ name: 'https', protocol: 'TCP', port }]);
    assert.deepEqual(slice.endpoints[0].addresses, ['127.0.0.1']);
  });

  it('allocates ClusterIPs and NodePorts, refusing taken and out-of-range ones with the field named', async () => {
    await c.k(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080']);
    const np = await c.getJson('/api/v1/namespaces/default/services/np');
    assert.match(np.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(np.spec.clusterIPs, [np.spec.clusterIP]);
    const taken = await c.kubectl(['create', 'service', 'nodeport', 'np2', '--tcp=80:8080', '--node-port=30080']);
    assert.match(taken.stderr, /Service "np2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
    const range = await c.kubectl(['create', 'service', 'nodeport', 'np3', '--tcp=80:8080', '--node-port=8080']);
    assert.match(range.stderr, /provided port is not in the valid range\. The range of valid ports is 30000-32767/);
    const ipTaken = await c.kubectl(['create', 'service', 'clusterip', 'dup', '--tcp=80:8080', `--clusterip=${np.spec.clusterIP}`]);
    assert.match(ipTaken.stderr, new RegExp(`spec\\.clusterIPs: Invalid value: \\[\\]string\\{"${np.spec.clusterIP.replace(/\./g, '\\.')}"\\}: failed to allocate IP .*: provided IP is already allocated`));
    const ipRange = await c.kubectl(['create', 'service', 'clusterip', 'far', '--tcp=80:8080', '--clusterip=192.168.0.10']);
    assert.match(ipRange.stderr, /the provided IP \(192\.168\.0\.10\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    await c.k(['create', 'service', 'clusterip', 'fixed', '--tcp=80:8080', '--clusterip=10.43.0.50']);
    assert.match(await c.k(['get', 'svc', 'fixed', 'np']), /fixed\s+ClusterIP\s+10\.43\.0\.50\s+<none>\s+80\/TCP[\s\S]*np\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:30080\/TCP/);

    // Allocations survive a restart: the same values stay taken.
    await c.restart();
    assert.match((await c.kubectl(['create', 'service', 'clusterip', 'again', '--tcp=80:8080', '--clusterip=10.43.0.50'])).stderr, /provided IP is already allocated/);
    assert.match((await c.kubectl(['create', 'service', 'nodeport', 'again', '--tcp=80:8080', '--node-port=30080'])).stderr, /provided port is already allocated/);
    // ...and a delete releases them.
    await c.k(['delete', 'service', 'fixed', 'np']);
    await c.k(['create', 'service', 'clusterip', 'again', '--tcp=80:8080', '--clusterip=10.43.0.50']);
    await c.k(['create', 'service', 'nodeport', 'again-np', '--tcp=80:8080', '--node-port=30080']);
  });

  it('gives a LoadBalancer Service the ready nodes\' addresses as ingress, with a node port', async () => {
    await c.k(['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080']);
    const nodeIps = (await c.getJson('/api/v1/nodes')).items.map((n: any) => n.status.addresses.find((a: any) => a.type === 'InternalIP').address).sort();
    const svc = await c.until('ingress addresses', async () => {
      const s = await c.getJson('/api/v1/namespaces/default/services/lb');
      return s.status?.loadBalancer?.ingress?.length && s;
    }, 10_000);
    assert.deepEqual(svc.status.loadBalancer.ingress.map((i: any) => i.ip).sort(), [...new Set(nodeIps)]);
    assert.ok(svc.spec.ports[0].nodePort >= 30000);
    const table = await c.k(['get', 'svc', 'lb']);
    assert.match(table, new RegExp(`lb\\s+LoadBalancer\\s+10\\.43\\.\\d+\\.\\d+\\s+${[...new Set(nodeIps)].join(',').replace(/\./g, '\\.')}\\s+80:\\d+/TCP`));
    // Back to ClusterIP: the ingress goes, and so does the node port.
    await c.k(['patch', 'svc', 'lb', '-p', '{"spec":{"type":"ClusterIP"}}']);
    await c.until('ingress cleared', async () => !(await c.getJson('/api/v1/namespaces/default/services/lb')).status?.loadBalancer?.ingress, 10_000);
  });

  it('keeps EndpointSlices and Endpoints in step with ready pods, resolving the named port', async () => {
    await c.k(['apply', '-f', '-'], { input: deployment('web', 3) });
    await c.k(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n' });
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const podIps = async () => (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.status.podIP).sort();
    await c.until('3 ready endpoints', async () => readyIps(await slicesOf('web')).length === 3, 20_000);
    const slices = await slicesOf('web');
    assert.equal(slices.length, 1);
    assert.deepEqual(slices[0].ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
    assert.deepEqual(readyIps(slices), await podIps());
    assert.ok(slices[0].endpoints.every((e: any) => e.targetRef.kind === 'Pod' && e.nodeName));
    assert.equal(slices[0].metadata.ownerReferences[0].kind, 'Service');
    const ep = await c.getJson('/api/v1/namespaces/default/endpoints/web');
    assert.deepEqual(ep.subsets[0].addresses.map((a: any) => a.ip).sort(), await podIps());
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.match(await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']), /web-\w+\s+IPv4\s+8080\s+10\.42\.\d+\.\d+,10\.42\.\d+\.\d+,10\.42\.\d+\.\d+/);

    // Scaling past 100 pods splits the endpoints over slices of at most 100.
    await c.k(['scale', 'deployment/web', '--replicas=130']);
    await c.until('130 ready endpoints', async () => readyIps(await slicesOf('web')).length === 130, 60_000);
    const many = await slicesOf('web');
    assert.deepEqual(many.map((s: any) => s.endpoints.length).sort((a: number, b: number) => a - b), [30, 100]);
    assert.equal(new Set(readyIps(many)).size, 130, 'no endpoint listed twice');
    await c.k(['scale', 'deployment/web', '--replicas=2']);
    await c.until('2 endpoints in one slice', async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0].endpoints.length === 2;
    }, 60_000);
    assert.deepEqual(readyIps(await slicesOf('web')), await podIps());
  });

  it('leaves selector-less Services to their users, and removes slices with their Service', async () => {
    await c.k(['create', 'service', 'clusterip', 'manual', '--tcp=80:80']);
    await c.k(['apply', '-f', '-'], { input: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: manual-1, labels: {kubernetes.io/service-name: manual}}\naddressType: IPv4\nports: [{port: 80}]\nendpoints: [{addresses: ["10.42.200.1"]}]\n' });
    await new Promise((r) => setTimeout(r, 500));
    const [s] = await slicesOf('manual');
    assert.equal(s.metadata.name, 'manual-1');
    assert.deepEqual(s.endpoints[0].addresses, ['10.42.200.1']);
    await c.k(['delete', 'service', 'web']);
    await c.until('web slices gone', async () => (await slicesOf('web')).length === 0, 20_000);
    await c.until('web endpoints gone', async () => (await c.raw('GET', '/api/v1/namespaces/default/endpoints/web')).code === 404, 20_000);
  });
});
