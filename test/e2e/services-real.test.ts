/**
 * Services with real pods: `skiff server` with its local node on containerd + CNI, its
 * in-process service proxy (nftables) and cluster DNS, driven with the real kubectl
 * inside a network namespace this suite creates (no packet can leave the machine). A
 * Deployment of three busybox httpd pods answering their own hostname behind a ClusterIP
 * Service; client pods (busybox wget and nslookup, output read from their CRI log files;
 * bounded with `timeout`, as Debian's static busybox wget crashes on its own -T option)
 * check round robin over the VIP, names resolved by the cluster DNS through 10.43.0.10,
 * a matching pod that is not ready left out (and served once ready), a Service without
 * endpoints refused at once, headless, SRV and pod records, ClientIP affinity, hairpin;
 * NodePort, LoadBalancer and ClusterIP from the node itself; --disable-kube-proxy; and
 * `skiff agent` running the proxy for its own node.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { httpGet, IN_NETNS, sh } from '../netns.js';
import { cleanupNode, containerLogLines, noUpstreamResolvers, nftSkipReason, podFinished, realNodeSuite, runClientPod, setupNodeNetwork } from '../cri-node.js';

const root = new URL('../../..', import.meta.url).pathname;
const NODE = 'node1';
const NODE_IP = '192.168.78.1';
const IMAGE = 'skiff.local/busybox:latest';
const SERVE_HOSTNAME = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ${IMAGE}
        imagePullPolicy: IfNotPresent
        command: [sh, -c, '${SERVE_HOSTNAME}']
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 8081, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
`;

/**
 * Matches the Service but is not ready: its init container serves "warming" on the pod IP
 * (any traffic the proxy sent it would show) until GET /cgi-bin/go; then the init
 * container ends (a second after answering, so its httpd is not killed mid-response), the
 * app container starts serving the pod's hostname and the pod is Ready.
 */
const WARM_UP = String.raw`mkdir -p /www/cgi-bin && echo warming > /www/index.html && printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"\ntouch /tmp/go\n' > /www/cgi-bin/go && chmod +x /www/cgi-bin/go && httpd -p 8080 -h /www && while [ ! -f /tmp/go ]; do sleep 0.2; done; sleep 1`;
const warming = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'warming', labels: { app: 'web' } },
  spec: {
    terminationGracePeriodSeconds: 1,
    initContainers: [{ name: 'warm', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', WARM_UP] }],
    containers: [{ name: 'httpd', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', SERVE_HOSTNAME], ports: [{ name: 'http', containerPort: 8080 }] }],
  },
});

/** How a TCP connect from the node ends: 'connected' or the error code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 3000 });
    s.on('connect', () => (s.destroy(), resolve('connected')));
    s.on('timeout', () => (s.destroy(), resolve('timeout')));
    s.on('error', (e: any) => resolve(e.code));
  });
}

/** The node's address on its veth pair, set up once per network namespace (suites share it). */
function ensureNodeNetwork(): void {
  if (spawnSync('ip', ['link', 'show', 'sknode0']).status !== 0) setupNodeNetwork(NODE_IP);
}

const counts = (xs: string[]) => xs.reduce((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {} as Record<string, number>);

realNodeSuite('Services with real pods', { file: import.meta.url, nodeIp: NODE_IP, node: NODE, dataDirPrefix: 'skiff-svc-', prepare: noUpstreamResolvers, skip: !IN_NETNS && nftSkipReason(), outerTimeoutMs: 480_000, waitFor: 'ready', readyTimeoutMs: 60_000 }, (env) => {
  let c: Cluster;
  const dataDir = env.dataDir;
  let vip = '';
  let backends: { name: string; ip: string }[] = [];

  const apply = (manifest: string) => c.k(['apply', '-f', '-'], { input: manifest });
  const getJson = (path: string) => c.getJson(path);
  const clusterIP = async (svc: string) => (await getJson(`/api/v1/namespaces/default/services/${svc}`)).spec.clusterIP as string;

  const inPod = (name: string, script: string) => runClientPod(c, dataDir, name, script, { image: IMAGE });

  before(async () => {
    try {
      await setup();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server log ---\n${c?.logs().slice(-20_000)}`, { cause: err });
    }
  });
  async function setup() {
    c = env.c;
    await c.until('the service proxy to program nftables', async () => c.logs().includes('service proxy programmed'), 60_000);
    await apply(deployment);
    await apply(warming);
    const pods = await c.until('3 web pods Ready and the warming pod with an IP', async () => {
      const list = (await getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
      const ready = list.filter((p: any) => p.metadata.name !== 'warming' && p.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True');
      const w = list.find((p: any) => p.metadata.name === 'warming');
      return ready.length === 3 && w?.status?.podIP ? list : undefined;
    }, 120_000);
    backends = pods.filter((p: any) => p.metadata.name !== 'warming').map((p: any) => ({ name: p.metadata.name, ip: p.status.podIP }));
    vip = await clusterIP('web');
  }

  it('publishes the kube-dns endpoint at the node address, not loopback', async () => {
    const slice = await getJson('/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/kube-dns');
    assert.deepEqual(slice.endpoints.map((e: any) => e.addresses[0]), [NODE_IP]);
    const table = sh('nft list table ip skiff');
    assert.match(table, new RegExp(`10\\.43\\.0\\.10 \\. udp \\. 53 : goto svc-`), 'the DNS ClusterIP is programmed for UDP');
    assert.match(table, new RegExp(`10\\.43\\.0\\.10 \\. tcp \\. 53 : goto svc-`), 'and TCP');
    // The node itself resolves through the ClusterIP too (DNAT-ed and masqueraded to the node address).
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers(['10.43.0.10']);
    assert.deepEqual(await resolver.resolve4('web.default.svc.cluster.local'), [vip]);
  });

  it('lists the ready pods as endpoints and the warming pod as not ready', async () => {
    // The EndpointSlice and Endpoints controllers follow the pods' readiness shortly after it.
    const eps = await c.until('the web EndpointSlice with 3 ready endpoints and the warming one', async () => {
      const slices = (await getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb')).items;
      const eps = slices.flatMap((s: any) => s.endpoints ?? []);
      return eps.length === 4 && eps.filter((e: any) => e.conditions?.ready).length === 3 ? eps : undefined;
    });
    const ready = eps.filter((e: any) => e.conditions?.ready).map((e: any) => e.addresses[0]).sort();
    assert.deepEqual(ready, backends.map((b) => b.ip).sort());
    assert.ok(eps.some((e: any) => e.targetRef?.name === 'warming' && e.conditions?.ready === false), JSON.stringify(eps));
    const table = await c.until('kubectl get endpoints to list the 3 ready pods', async () => {
      const t = await c.k(['get', 'endpoints', 'web']);
      return backends.every((b) => t.includes(`${b.ip}:8080`)) ? t : undefined;
    });
    assert.doesNotMatch(table, /more/);
  });

  it('spreads 30 sequential requests from a pod to the ClusterIP exactly 10 per backend, none to the pod that is not ready', async () => {
    const warmIP = (await getJson('/api/v1/namespaces/default/pods/warming')).status.podIP;
    const r = await inPod('rr', `for i in $(seq 1 30); do timeout 10 wget -q -O- http://${vip}/ || echo FAILED; done; echo direct=$(timeout 10 wget -q -O- http://${warmIP}:8080/)`);
    assert.equal(r.phase, 'Succeeded', r.text);
    const answers = r.out.filter((l) => !l.startsWith('direct='));
    assert.deepEqual(counts(answers), Object.fromEntries(backends.map((b) => [b.name, 10])), r.text);
    // The warming pod does answer on its own address: had the proxy chosen it, it would show.
    assert.ok(r.out.includes('direct=warming'), r.text);
  });

  it('resolves service names through the cluster DNS at 10.43.0.10 (full name, short name, nslookup)', async () => {
    const r = await inPod('dns', ['echo full=$(timeout 10 wget -q -O- http://web.default.svc.cluster.local/)', 'echo short=$(timeout 10 wget -q -O- http://web/)', 'nslookup web', 'nslookup -type=SRV _http._tcp.web.default.svc.cluster.local'].join('; '));
    assert.equal(r.phase, 'Succeeded', r.text);
    const names = backends.map((b) => b.name);
    assert.ok(names.includes(r.out.find((l) => l.startsWith('full='))!.slice(5)), r.text);
    assert.ok(names.includes(r.out.find((l) => l.startsWith('short='))!.slice(6)), r.text);
    // busybox nslookup names the server it asked, then the answer.
    assert.match(r.text, /Server:\s+10\.43\.0\.10/);
    assert.match(r.text, new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${vip.replace(/\./g, '\\.')}`), r.text);
    assert.match(r.text, /_http\._tcp\.web\.default\.svc\.cluster\.local\s+service = 0 \d+ 80 web\.default\.svc\.cluster\.local/, r.text);
  });

  it('returns every ready pod IP for a headless service', async () => {
    const r = await inPod('headless', 'nslookup web-headless.default.svc.cluster.local');
    assert.equal(r.phase, 'Succeeded', r.text);
    const ips = [...r.text.matchAll(/Address:\s+(10\.42\.\d+\.\d+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(ips, backends.map((b) => b.ip).sort(), r.text);
  });

  it('refuses connections at once to a Service without endpoints', async () => {
    const ip = await clusterIP('empty');
    const r = await inPod('refused', `timeout 10 wget -q -O- http://${ip}/ 2>&1; echo exit=$?`);
    assert.match(r.text, /Connection refused/, r.text);
    assert.match(r.text, /exit=1/);
    assert.equal(await tryConnect(ip, 80), 'ECONNREFUSED', 'from the node too');
  });

  it('reaches the NodePort at the node IP and the ClusterIP from the node', async () => {
    const np = (await getJson('/api/v1/namespaces/default/services/web-np')).spec.ports[0].nodePort;
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await httpGet(`http://${NODE_IP}:${np}/`));
    assert.deepEqual(counts(seen), Object.fromEntries(backends.map((b) => [b.name, 2])));
    assert.ok(backends.map((b) => b.name).includes(await httpGet(`http://${vip}/`)));
  });

  it('gives a LoadBalancer Service the node IP as its ingress, answering there', async () => {
    const svc = await c.until('the LoadBalancer ingress', async () => {
      const s = await getJson('/api/v1/namespaces/default/services/web-lb');
      return s.status?.loadBalancer?.ingress?.length ? s : undefined;
    }, 30_000);
    assert.deepEqual(svc.status.loadBalancer.ingress.map((i: any) => i.ip), [NODE_IP]);
    const name = await c.until('the LoadBalancer address to answer', () => httpGet(`http://${NODE_IP}:8081/`), 10_000);
    assert.ok(backends.some((b) => b.name === name), name);
    const table = await c.k(['get', 'service', 'web-lb']);
    assert.match(table, new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${NODE_IP.replace(/\./g, '\\.')}\\s+8081:3\\d{4}/TCP`), table);
  });

  it('answers pod A records (a-b-c-d.<ns>.pod.cluster.local) from a pod', async () => {
    const ip = backends[0].ip;
    const r = await inPod('podrec', `nslookup ${ip.replace(/\./g, '-')}.default.pod.cluster.local`);
    assert.match(r.text, new RegExp(`Address:\\s+${ip.replace(/\./g, '\\.')}`), r.text);
  });

  it('pins a client pod to one backend with sessionAffinity ClientIP', async () => {
    await c.k(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await c.until('the proxy to program affinity', async () => /aff-sep-/.test(sh('nft list table ip skiff')), 10_000);
    const r = await inPod('sticky', `for i in $(seq 1 30); do timeout 10 wget -q -O- http://${vip}/ || echo FAILED; done`);
    const seen = counts(r.out);
    assert.equal(Object.keys(seen).length, 1, r.text);
    assert.ok(backends.some((b) => seen[b.name] === 30), r.text);
    await c.k(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"None"}}']);
    await c.until('the proxy to drop affinity', async () => !/aff-sep-/.test(sh('nft list table ip skiff')), 10_000);
  });

  it('lets a pod reach itself through its own Service (hairpin)', async () => {
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: selfie}\nspec:\n  selector: {app: selfie}\n  ports: [{port: 80, targetPort: 8080}]\n');
    const ip = await clusterIP('selfie');
    await apply(JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'selfie', labels: { app: 'selfie' } },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `mkdir -p /www && hostname > /www/index.html && httpd -p 8080 -h /www && for i in $(seq 1 100); do r=$(timeout 5 wget -q -O- http://${ip}/) && break; sleep 0.2; done; echo "self=$r"`] }],
      },
    }));
    const lines = containerLogLines(dataDir, await podFinished(c, 'selfie'));
    assert.ok(lines.includes('self=selfie'), lines.join('\n'));
  });

  it('sends a pod its share once it becomes ready (40 requests, 10 to each of 4 backends)', async () => {
    const warmIP = (await getJson('/api/v1/namespaces/default/pods/warming')).status.podIP;
    assert.equal(await httpGet(`http://${warmIP}:8080/cgi-bin/go`), 'ok');
    await c.until('the warming pod to be Ready', async () => (await getJson('/api/v1/namespaces/default/pods/warming')).status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True', 60_000);
    await c.until('the proxy to add its endpoint', async () => sh('nft list table ip skiff').includes(`${warmIP} . 8080`), 10_000);
    const r = await inPod('rr-ready', `for i in $(seq 1 40); do timeout 10 wget -q -O- http://${vip}/ || echo FAILED; done`);
    assert.deepEqual(counts(r.out), Object.fromEntries([...backends.map((b) => b.name), 'warming'].map((n) => [n, 10])), r.text);
  });

  it('stops sending to a pod whose readiness probe fails, and sends again once it passes', async () => {
    const readyOf = async () => (await getJson('/api/v1/namespaces/default/pods/flappy')).status?.conditions?.find((x: any) => x.type === 'Ready')?.status;
    await apply(JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'flappy', labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'httpd', image: IMAGE, imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', `touch /tmp/ready && ${SERVE_HOSTNAME}`],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
        }],
      },
    }));
    await c.until('flappy Ready', async () => (await readyOf()) === 'True', 90_000);
    const ip = (await getJson('/api/v1/namespaces/default/pods/flappy')).status.podIP;
    const inRules = () => sh('nft list table ip skiff').includes(`${ip} . 8080`);
    await c.until('the proxy to add flappy', async () => inRules(), 15_000);
    const sample = async (n: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) seen.push(await httpGet(`http://${vip}/`));
      return counts(seen);
    };
    assert.equal((await sample(25)).flappy, 5, 'flappy takes its fifth while ready');

    await c.k(['exec', 'flappy', '--', 'rm', '/tmp/ready']);
    await c.until('flappy not Ready', async () => (await readyOf()) === 'False', 30_000);
    await c.until('the proxy to drop flappy', async () => !inRules(), 15_000);
    const pod = await getJson('/api/v1/namespaces/default/pods/flappy');
    assert.equal(pod.status.containerStatuses[0].restartCount, 0, 'readiness never restarts');
    const without = await sample(20);
    assert.equal(without.flappy, undefined, JSON.stringify(without));
    assert.deepEqual(Object.values(without), [5, 5, 5, 5]);

    await c.k(['exec', 'flappy', '--', 'touch', '/tmp/ready']);
    await c.until('flappy Ready again', async () => (await readyOf()) === 'True', 30_000);
    await c.until('the proxy to add flappy back', async () => inRules(), 15_000);
    assert.equal((await sample(25)).flappy, 5, 'flappy is back in the rotation');
    await c.k(['delete', 'pod', 'flappy', '--wait=false']);
    await c.until('the proxy to drop the deleted flappy', async () => !inRules(), 30_000);
  });

  it('keeps connections in flight while the Service scales up', async () => {
    const slowScript = String.raw`mkdir -p /www/cgi-bin && printf '#!/bin/sh\nsleep 4\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nhostname\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && hostname > /www/index.html && exec httpd -f -p 8080 -h /www`;
    await apply(JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'slow' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'slow' } },
        template: {
          metadata: { labels: { app: 'slow' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'httpd', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', slowScript], ports: [{ containerPort: 8080 }] }] },
        },
      },
    }));
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: slow}\nspec:\n  selector: {app: slow}\n  ports: [{port: 80, targetPort: 8080}]\n');
    const ip = await clusterIP('slow');
    const readyEndpoints = async () => (await getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dslow')).items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready);
    await c.until('one slow backend', async () => (await readyEndpoints()).length === 1 && (await httpGet(`http://${ip}/`).catch(() => '')) !== '', 90_000);
    const slowGet = (url: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: 30_000 }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    // Three requests that each take 4 s, in flight while the Service's endpoints change.
    const inFlight = [0, 1, 2].map(() => slowGet(`http://${ip}/cgi-bin/slow`));
    await new Promise((r) => setTimeout(r, 500));
    await c.k(['scale', 'deployment', 'slow', '--replicas=3']);
    const answers = await Promise.all(inFlight);
    const first = answers[0].split(' ')[1];
    assert.ok(first.startsWith('slow-'), answers.join(' | '));
    assert.deepEqual(answers, [`200 ${first}`, `200 ${first}`, `200 ${first}`], 'every connection opened before the scale-up finished on its backend');
    await c.until('three slow backends', async () => (await readyEndpoints()).length === 3, 90_000);
    await c.until('the proxy to use all three', async () => Object.keys(counts(await Promise.all([0, 1, 2, 3, 4, 5].map(() => httpGet(`http://${ip}/`))))).length === 3, 20_000);
    await c.k(['delete', 'deployment', 'slow', '--wait=false']);
    await c.k(['delete', 'service', 'slow']);
  });

  it('runs no service proxy with --disable-kube-proxy', async () => {
    assert.equal(await c.stop(), 0);
    sh('nft delete table ip skiff');
    c = env.c = await Cluster.start(['--real-node', '--node-name', NODE, '--node-ip', NODE_IP, '--resolv-conf', join(dataDir, 'no-upstreams.conf'), '--disable-kube-proxy'], dataDir);
    await c.until('the server to say the proxy is disabled', async () => c.logs().includes('service proxy disabled (--disable-kube-proxy)'), 30_000);
    await c.until('the node to start again', async () => c.logs().includes('real node starting'), 60_000);
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: later}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n');
    await c.until('the new Service to have endpoints', async () => (await getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dlater')).items[0]?.endpoints?.length === 4, 30_000);
    assert.doesNotMatch(sh('nft list tables'), /skiff/, 'no nftables program without the proxy');
    assert.doesNotMatch(c.logs(), /service proxy programmed/);
  });
});

if (IN_NETNS) {
  describe('the service proxy in `skiff agent`', () => {
    let c: Cluster;
    let agent: ChildProcess | undefined;
    let agentLog = '';
    const agentDir = mkdtempSync(join(tmpdir(), 'skiff-svc-agent-'));
    const TOKEN = 'svc-agent-token';

    before(async () => {
      ensureNodeNetwork();
      c = await Cluster.start(['--token', TOKEN]);
      agent = spawn(process.execPath, [join(root, 'bin/skiff.js'), 'agent', '--server', c.url, '--token', TOKEN, '--data-dir', agentDir, '--node-name', 'node2', '--node-ip', NODE_IP], { stdio: ['ignore', 'pipe', 'pipe'] });
      agent.stdout!.on('data', (d) => (agentLog += d));
      agent.stderr!.on('data', (d) => (agentLog += d));
    });
    after(async () => {
      if (agent && agent.exitCode === null) {
        const exited = new Promise((r) => agent!.once('exit', r));
        agent.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        agent.kill('SIGKILL');
      }
      await cleanupNode(agentDir, 'node2');
      await c?.destroy();
    });

    it('programs the node it runs: a ClusterIP from the node reaches the pod behind it', async () => {
      await c.until('the agent to program nftables', async () => agentLog.includes('service proxy programmed'), 60_000).catch((err) => assert.fail(`${err.message}\n${agentLog}`));
      await c.k(['apply', '-f', '-'], { input: deployment.replace('replicas: 3', 'replicas: 1') });
      const pod = await c.until('the web pod Ready on node2', async () => {
        const list = (await c.getJson('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
        return list.find((p: any) => p.spec.nodeName === 'node2' && p.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True');
      }, 120_000);
      const ip = (await c.getJson('/api/v1/namespaces/default/services/web')).spec.clusterIP;
      assert.equal(await c.until('the ClusterIP to answer', () => httpGet(`http://${ip}/`), 30_000), pod.metadata.name);
    });
  });
}
