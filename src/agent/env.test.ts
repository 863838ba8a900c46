import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateContainerConfigError } from './config-source.js';
import { expandCommand, resolveEnv } from './env.js';
import { fromServices } from './service-env.js';
import { FakeConfigSource } from './fake-config-source.js';

const pod = (containers: any[], extra: any = {}) => ({
  metadata: { name: 'web-0', namespace: 'app', uid: 'uid-1', labels: { tier: 'front' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'builder', enableServiceLinks: true, containers, ...extra },
  status: {},
});
const asObj = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

describe('container environment (kubelet makeEnvironmentVariables)', () => {
  it('expands $(VAR) against earlier entries only; later ones stay literal', async () => {
    const c = {
      name: 'c',
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: '$(A)-b-$(C)' },
        { name: 'C', value: 'c' },
        { name: 'D', value: '$$(A) $(A)' },
        { name: 'E', value: '' },
      ],
    };
    const env = await resolveEnv(pod([c]), c, new FakeConfigSource());
    assert.deepEqual(
      env.map((e) => e.name),
      ['A', 'B', 'C', 'D', 'E'],
    );
    assert.deepEqual(asObj(env), { A: 'a', B: 'a-b-$(C)', C: 'c', D: '$(A) a', E: '' });
  });

  it('envFrom: ConfigMap and Secret data with prefixes, env overriding; keys that are not C names pass as they are (1.30+)', async () => {
    const src = new FakeConfigSource().addConfigMap('app', 'cfg', { LOG: 'debug', '1bad': 'x', 'my.dotted-key': 'ok' }, { 'bin.dat': 'AAE=' }).addSecret('app', 'creds', { USER: 'root', PASS: 'p@ss' });
    const c = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }, { prefix: 'X_', configMapRef: { name: 'cfg' } }],
      env: [{ name: 'LOG', value: 'info:$(DB_USER)' }],
    };
    const e = asObj(await resolveEnv(pod([c]), c, src));
    assert.equal(e.LOG, 'info:root');
    assert.equal(e['my.dotted-key'], 'ok');
    assert.equal(e.DB_USER, 'root');
    assert.equal(e.DB_PASS, 'p@ss');
    assert.equal(e.X_1bad, 'x');
    assert.equal(e['1bad'], 'x'); // no longer skipped since RelaxedEnvironmentVariableValidation
    assert.equal(e['bin.dat'], undefined); // binaryData is not environment
  });

  it('valueFrom: configMapKeyRef, secretKeyRef (decoded), optional ones skipped when missing', async () => {
    const src = new FakeConfigSource().addConfigMap('app', 'cfg', { mode: 'fast' }).addSecret('app', 'tok', { token: 's3cr3t\n' });
    const c = {
      name: 'c',
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } },
        { name: 'OPT1', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'tok', key: 'nokey', optional: true } } },
        { name: 'RAW', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } }, value: '' },
      ],
    };
    assert.deepEqual(asObj(await resolveEnv(pod([c]), c, src)), { MODE: 'fast', TOKEN: 's3cr3t\n', RAW: 'fast' });
  });

  it('valueFrom values are not expanded', async () => {
    const src = new FakeConfigSource().addConfigMap('app', 'cfg', { v: '$(A)' });
    const c = { name: 'c', env: [{ name: 'A', value: 'a' }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'v' } } }] };
    assert.equal(asObj(await resolveEnv(pod([c]), c, src)).B, '$(A)');
  });

  it('a missing ConfigMap, Secret or key that is not optional is a CreateContainerConfigError with upstream messages', async () => {
    const src = new FakeConfigSource().addConfigMap('app', 'cfg', { a: '1' }).addSecret('app', 's', { a: '1' });
    const cases: [any, string][] = [
      [{ envFrom: [{ configMapRef: { name: 'gone' } }] }, 'configmap "gone" not found'],
      [{ envFrom: [{ secretRef: { name: 'gone' } }] }, 'secret "gone" not found'],
      [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'a' } } }] }, 'configmap "gone" not found'],
      [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'b' } } }] }, "couldn't find key b in ConfigMap app/cfg"],
      [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'b' } } }] }, "couldn't find key b in Secret app/s"],
      [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'b' } } }] }, 'secret "gone" not found'],
    ];
    for (const [spec, message] of cases) {
      const c = { name: 'c', ...spec };
      await assert.rejects(resolveEnv(pod([c]), c, src), (err: any) => err instanceof CreateContainerConfigError && err.reason === 'CreateContainerConfigError' && err.message === message);
    }
    // Optional envFrom sources may be missing.
    const c = { name: 'c', envFrom: [{ configMapRef: { name: 'gone', optional: true } }, { secretRef: { name: 'gone', optional: true } }] };
    assert.deepEqual(await resolveEnv(pod([c]), c, src), []);
  });

  it('fieldRef and resourceFieldRef (limits default to node allocatable)', async () => {
    const c = {
      name: 'c',
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '500m' } },
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'OTHER', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'GREETING', value: 'hi $(POD) on $(NODE)' },
      ],
    };
    const side = { name: 'side', resources: { limits: { memory: '1Gi' } } };
    const env = await resolveEnv(pod([c, side]), c, new FakeConfigSource(), { podIPs: ['10.42.0.7'], hostIPs: ['192.168.5.5'] });
    assert.deepEqual(asObj(env), {
      POD: 'web-0',
      NS: 'app',
      UID: 'uid-1',
      TIER: 'front',
      NODE: 'node-a',
      SA: 'builder',
      IP: '10.42.0.7',
      HOST: '192.168.5.5',
      MEM: '128',
      CPU_LIMIT: '4',
      CPU_REQ: '500',
      OTHER: '1024',
      GREETING: 'hi web-0 on node-a',
    });
  });

  it('service variables: the namespace services and the kubernetes service, honouring enableServiceLinks', async () => {
    const src = new FakeConfigSource()
      .addService('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }])
      .addService('default', 'other', '10.43.0.50', [{ port: 80 }])
      .addService('app', 'redis-master', '10.43.0.11', [{ port: 6379, protocol: 'TCP' }, { name: 'metrics', port: 9121, protocol: 'UDP' }])
      .addService('app', 'headless', 'None', [{ port: 80 }]);
    const c = { name: 'c', env: [{ name: 'URL', value: 'redis://$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)' }, { name: 'KUBERNETES_SERVICE_PORT', value: 'mine' }] };
    const e = asObj(await resolveEnv(pod([c]), c, src));
    assert.equal(e.URL, 'redis://10.43.0.11:6379');
    assert.equal(e.KUBERNETES_SERVICE_PORT, 'mine'); // the container's own value wins
    assert.equal(e.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.equal(e.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(e.KUBERNETES_PORT, 'tcp://10.43.0.1:443');
    assert.equal(e.KUBERNETES_PORT_443_TCP, 'tcp://10.43.0.1:443');
    assert.equal(e.KUBERNETES_PORT_443_TCP_PROTO, 'tcp');
    assert.equal(e.KUBERNETES_PORT_443_TCP_PORT, '443');
    assert.equal(e.KUBERNETES_PORT_443_TCP_ADDR, '10.43.0.1');
    assert.equal(e.REDIS_MASTER_SERVICE_HOST, '10.43.0.11');
    assert.equal(e.REDIS_MASTER_SERVICE_PORT, '6379');
    assert.equal(e.REDIS_MASTER_SERVICE_PORT_METRICS, '9121');
    assert.equal(e.REDIS_MASTER_PORT, 'tcp://10.43.0.11:6379');
    assert.equal(e.REDIS_MASTER_PORT_9121_UDP, 'udp://10.43.0.11:9121');
    assert.equal(e.REDIS_MASTER_PORT_9121_UDP_PROTO, 'udp');
    assert.equal(e.OTHER_SERVICE_HOST, undefined); // another namespace
    assert.equal(fromServices([{ metadata: { name: 'v6' }, spec: { clusterIP: 'fd00::1', ports: [{ port: 80 }] } }]).find((x) => x.name === 'V6_PORT')!.value, 'tcp://[fd00::1]:80');
    assert.equal(Object.keys(e).some((k) => k.startsWith('HEADLESS')), false);

    const noLinks = asObj(await resolveEnv(pod([c], { enableServiceLinks: false }), c, src));
    assert.equal(noLinks.REDIS_MASTER_SERVICE_HOST, undefined);
    assert.equal(noLinks.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.equal(noLinks.URL, 'redis://$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)');

    // In the default namespace every service with a cluster IP is linked.
    const inDefault = { ...pod([c]), metadata: { name: 'x', namespace: 'default', uid: 'u' } };
    const d = asObj(await resolveEnv(inDefault, c, src));
    assert.equal(d.OTHER_SERVICE_HOST, '10.43.0.50');
    assert.equal(d.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  });

  it('expands command and args with the final environment', () => {
    const env = [{ name: 'MSG', value: 'hello' }];
    assert.deepEqual(expandCommand(['sh', '-c', 'echo $(MSG) $$(MSG) $(NOPE)'], env), ['sh', '-c', 'echo hello $(MSG) $(NOPE)']);
    assert.equal(expandCommand(undefined, env), undefined);
  });
});
