/**
 * The API server from pods, as on a real cluster: `skiff server` with a real local node
 * (containerd + CNI, in-process service proxy and cluster DNS), inside a network namespace
 * this suite creates. The `kubernetes` Service (10.43.0.1:443) publishes the node's
 * address (the advertise address, where the API also listens) as its endpoint; a busybox
 * pod resolves it through the cluster DNS and GETs https://kubernetes.default.svc/version
 * (busybox wget over the host's openssl); without credentials anything else answers 401,
 * with the pod's service-account token its own Pod; openssl verifies the certificate for
 * `kubernetes.default` against the pod's ca.crt. The serving certificate of a data dir
 * made before (without the node's address) is re-issued to cover the node IP, 10.43.0.1
 * and the Service names, and the node reaches the API through the ClusterIP too.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { IN_NETNS } from '../netns.js';
import { nftSkipReason, noUpstreamResolvers, realNodeSuite, runClientPod } from '../cri-node.js';
import { ensurePki } from '../../src/apiserver/certs.js';

const NODE = 'node1';
const NODE_IP = '192.168.79.1';
const IMAGE = 'skiff.local/busybox:latest';

/** GET over TLS verified against the cluster CA (servername: the name the certificate must cover). */
function httpsGet(host: string, port: number, path: string, ca: string, servername?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, ca, servername, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// A data dir from before: its serving certificate covers loopback and the Service names only.
let oldServing = '';
const prepare = async (dataDir: string) => {
  oldServing = (await ensurePki({ dir: join(dataDir, 'tls'), sans: { dns: [], ips: [] } })).serving.certPem;
  return noUpstreamResolvers(dataDir);
};

realNodeSuite('the API server from pods', { file: import.meta.url, nodeIp: NODE_IP, node: NODE, dataDirPrefix: 'skiff-apipods-', prepare, skip: !IN_NETNS && nftSkipReason(), outerTimeoutMs: 300_000, waitFor: 'ready', readyTimeoutMs: 60_000 }, (env) => {
  let c: Cluster;
  const dataDir = env.dataDir;
  let apiPort = 0;

  const getJson = (path: string) => c.getJson(path);

  const inPod = (name: string, script: string, o: { volumes?: any[]; volumeMounts?: any[] } = {}) => runClientPod(c, dataDir, name, script, { image: IMAGE, ...o });

  before(async () => {
    c = env.c;
    apiPort = Number(new URL(c.url).port);
    // The kubernetes and kube-dns ClusterIPs programmed, with their node-address endpoints.
    await c.until('the proxy to route 10.43.0.1:443 and 10.43.0.10:53', async () => {
      const t = spawnSync('nft', ['list', 'table', 'ip', 'skiff'], { encoding: 'utf8' }).stdout ?? '';
      if (/10\.43\.0\.1 \. tcp \. 443 : goto svc-/.test(t) && /10\.43\.0\.10 \. udp \. 53 : goto svc-/.test(t)) return true;
      throw new Error(`the table: ${/map service-ips \{[\s\S]*?\n\t\}/.exec(t)?.[0] ?? t}\n${await c.k(['get', 'svc,endpointslices', '-A', '-o', 'wide']).catch((e) => String(e))}`);
    }, 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- server log ---\n${c.logs().slice(-20_000)}`, { cause: err });
    });
  });

  it('publishes the node address as the kubernetes endpoint (Endpoints, EndpointSlice, kubectl)', async () => {
    assert.equal(new URL(c.url).hostname, '127.0.0.1', 'the kubeconfig keeps loopback');
    const ep = await getJson('/api/v1/namespaces/default/endpoints/kubernetes');
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: NODE_IP }], ports: [{ name: 'https', port: apiPort, protocol: 'TCP' }] }]);
    const slice = await getJson('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.deepEqual(slice.endpoints.map((e: any) => e.addresses), [[NODE_IP]]);
    const svc = await getJson('/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.spec.clusterIP, '10.43.0.1');
    assert.match(await c.k(['get', 'endpoints', 'kubernetes']), new RegExp(`kubernetes\\s+${NODE_IP.replace(/\./g, '\\.')}:${apiPort}\\s`));
  });

  it('re-issues the serving certificate of an older data dir for the node IP, 10.43.0.1 and the Service names', async () => {
    const now = readFileSync(join(dataDir, 'tls', 'serving-kube-apiserver.crt'), 'utf8');
    assert.notEqual(now, oldServing);
    const cert = new X509Certificate(now);
    for (const ip of [NODE_IP, '10.43.0.1', '127.0.0.1']) assert.equal(cert.checkIP(ip), ip);
    for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']) assert.equal(cert.checkHost(name, { wildcards: false }), name);
  });

  it('answers the node on its address and through the ClusterIP, verified against the cluster CA', async () => {
    const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const direct = await httpsGet(NODE_IP, apiPort, '/version', ca);
    assert.equal(direct.code, 200);
    assert.match(JSON.parse(direct.body).gitVersion, /^v1\./);
    const viaVip = await httpsGet('10.43.0.1', 443, '/version', ca);
    assert.equal(viaVip.code, 200, viaVip.body);
    const byName = await httpsGet('10.43.0.1', 443, '/readyz', ca, 'kubernetes.default.svc.cluster.local');
    assert.deepEqual(byName, { code: 200, body: 'ok' });
    // Anonymous on the node address: everything but health and version needs credentials.
    assert.equal((await httpsGet(NODE_IP, apiPort, '/api/v1/namespaces', ca)).code, 401);
  });

  it('lets a pod resolve kubernetes.default and GET https://kubernetes.default.svc/version', async () => {
    // Busybox's own TLS offers only SHA-1 signatures (no signature_algorithms extension),
    // which OpenSSL 3 servers refuse ("no shared cipher"); its wget uses an `openssl`
    // binary when one is on PATH, so the pod gets the host's (and its libraries) by hostPath.
    const hostPaths: [string, string][] = [
      ['/usr/bin/openssl', '/usr/bin/openssl'],
      ['/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu'],
      ['/lib64', '/lib64'],
      ['/usr/lib/ssl', '/usr/lib/ssl'],
    ];
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    // RBAC: the pod's ServiceAccount (default) may read pods once bound to a role that allows it.
    await c.k(['create', 'role', 'pod-reader', '--verb=get', '--resource=pods']);
    await c.k(['create', 'rolebinding', 'default-pod-reader', '--role=pod-reader', '--serviceaccount=default:default']);
    const r = await inPod(
      'api-client',
      [
        'nslookup kubernetes.default.svc.cluster.local',
        'echo env=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT',
        'echo version=$(timeout 20 wget -qO- --no-check-certificate https://kubernetes.default.svc/version | tr -d "\\n ")',
        // No credentials: the API answers 401, which wget reports as an error.
        'timeout 20 wget -qO- --no-check-certificate https://kubernetes.default.svc/api/v1/namespaces 2>&1 || echo anonymous-refused',
        // With the pod's service-account token (kube-api-access volume), the API answers.
        `echo self=$(timeout 20 wget -qO- --no-check-certificate --header "Authorization: Bearer $(cat ${sa}/token)" https://kubernetes.default.svc/api/v1/namespaces/$(cat ${sa}/namespace)/pods/api-client | tr -d "\\n " | grep -o '"uid":"[^"]*"' | head -1)`,
        // The short name through the search path, the chain and the name checked against the pod's ca.crt.
        `timeout 20 openssl s_client -connect kubernetes.default:443 -servername kubernetes.default -CAfile ${sa}/ca.crt -verify_hostname kubernetes.default -verify_return_error </dev/null 2>&1 | grep -E "^(Verify return code|verify error)"`,
      ].join('; '),
      {
        volumes: hostPaths.map(([path], i) => ({ name: `h${i}`, hostPath: { path } })),
        volumeMounts: hostPaths.map(([, mountPath], i) => ({ name: `h${i}`, mountPath, readOnly: true })),
      },
    );
    assert.equal(r.phase, 'Succeeded', r.text);
    assert.match(r.text, /Server:\s+10\.43\.0\.10/, r.text);
    assert.match(r.text, /Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address:\s+10\.43\.0\.1(\s|$)/, r.text);
    assert.ok(r.out.includes('env=10.43.0.1:443'), r.text);
    const version = r.out.find((l) => l.startsWith('version='))?.slice('version='.length) ?? '';
    assert.match(version, /^\{.*"gitVersion":"v1\.[^"]+".*\}$/, r.text);
    assert.equal(JSON.parse(version).major, '1', r.text);
    assert.match(r.text, /401 Unauthorized/, r.text);
    assert.ok(r.out.includes('anonymous-refused'), r.text);
    assert.ok(r.out.includes('Verify return code: 0 (ok)'), r.text);
    const uid = (await getJson('/api/v1/namespaces/default/pods/api-client')).metadata.uid;
    assert.ok(r.out.includes(`self="uid":"${uid}"`), r.text);
  });
});
