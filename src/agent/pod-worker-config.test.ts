import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../util/log.js';
import { FakeConfigSource } from './fake-config-source.js';
import { PodWorkers } from './pod-worker.js';
import { CONFIG_RETRY_MS } from './prepare.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import type { ContainerConfig } from './runtime/types.js';

/** The simulated runtime, remembering what each container was created with. */
class RecordingRuntime extends SimulatedRuntime {
  readonly created: ContainerConfig[] = [];
  override createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    this.created.push(cfg);
    return super.createContainer(sandboxId, cfg);
  }
  sandboxCount = 0;
  override runPodSandbox(cfg: any) {
    this.sandboxCount++;
    return super.runPodSandbox(cfg);
  }
}

const silent = createLogger({ level: 'error', write: () => {} });

describe('pod worker: env, volumes and mounts', () => {
  let root: string;
  let src: FakeConfigSource;
  let rt: RecordingRuntime;
  let patches: any[];
  let events: { reason: string; message: string }[];
  let workers: PodWorkers;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-pw-'));
    src = new FakeConfigSource().addService('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
    rt = new RecordingRuntime({ podCidr: '10.42.0.0/24' });
    patches = [];
    events = [];
    const pods: any = {
      patch: async (_ns: string, _name: string, _type: string, body: any) => patches.push(body.status),
      delete: async () => {},
    };
    workers = new PodWorkers({
      runtime: rt,
      pods,
      nodeName: 'n1',
      hostIP: '192.168.0.10',
      log: silent,
      config: { source: src, rootDir: root, mountTmpfs: false, events: { event: (_o, _t, reason, message) => events.push({ reason, message }) } },
    });
  });
  afterEach(async () => {
    await rt.close();
    await rm(root, { recursive: true, force: true });
  });

  const pod = (spec: any) => ({ metadata: { name: 'web', namespace: 'app', uid: 'uid-9' }, spec: { nodeName: 'n1', enableServiceLinks: true, restartPolicy: 'Always', ...spec }, status: {} });
  const lastStatus = () => patches[patches.length - 1];

  it('creates containers with resolved env and mounts; a changed ConfigMap updates the mounted files in place; deletion removes the pod directory', async () => {
    src.addConfigMap('app', 'site', { 'index.html': 'v1' }).addSecret('app', 'db', { password: 'hunter2' });
    const p = pod({
      volumes: [{ name: 'html', configMap: { name: 'site', defaultMode: 420 } }, { name: 'scratch', emptyDir: {} }],
      containers: [
        {
          name: 'web',
          image: 'busybox',
          command: ['sh', '-c', 'echo $(GREETING)'],
          workingDir: '/srv',
          terminationMessagePath: '/dev/termination-log',
          env: [
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'GREETING', value: 'hello from $(POD_NAME)' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          volumeMounts: [
            { name: 'html', mountPath: '/srv/www' },
            { name: 'scratch', mountPath: '/tmp/s' },
          ],
        },
      ],
    });
    await workers.sync('app/web', p);
    assert.equal(rt.created.length, 1);
    const cfg = rt.created[0];
    const env = Object.fromEntries(cfg.env!.map((e) => [e.name, e.value]));
    assert.equal(env.DB_PASSWORD, 'hunter2');
    assert.equal(env.GREETING, 'hello from $(POD_NAME)'); // POD_NAME comes later: not expanded
    assert.equal(env.POD_NAME, 'web');
    assert.match(env.POD_IP, /^10\.42\.0\.\d+$/);
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.deepEqual(cfg.command, ['sh', '-c', 'echo hello from $(POD_NAME)']);
    assert.equal(cfg.workingDir, '/srv');
    const byPath = new Map(cfg.mounts!.map((m) => [m.containerPath, m]));
    const html = byPath.get('/srv/www')!;
    assert.equal(html.hostPath, join(root, 'pods/uid-9/volumes/kubernetes.io~configmap/html'));
    assert.equal(html.readOnly, true);
    assert.equal(byPath.get('/tmp/s')!.readOnly, false);
    assert.match(await readFile(byPath.get('/etc/hosts')!.hostPath, 'utf8'), new RegExp(`\\n${env.POD_IP}\\tweb\\n`));
    assert.ok(byPath.get('/dev/termination-log'));
    assert.equal(await readFile(join(html.hostPath, 'index.html'), 'utf8'), 'v1');
    assert.equal(lastStatus().containerStatuses[0].state.running !== undefined, true);

    src.addConfigMap('app', 'site', { 'index.html': 'v2', 'new.html': 'n' });
    await workers.sync('app/web', p);
    assert.equal(await readFile(join(html.hostPath, 'index.html'), 'utf8'), 'v2');
    assert.equal(await readFile(join(html.hostPath, 'new.html'), 'utf8'), 'n');
    assert.equal(rt.created.length, 1); // not restarted

    await workers.sync('app/web', undefined);
    // A removed pod is stopped in the background; its directory goes when that is done.
    for (let i = 0; i < 100 && (await lstat(join(root, 'pods/uid-9')).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(lstat(join(root, 'pods/uid-9')), { code: 'ENOENT' });
  });

  it('a missing Secret leaves the container waiting in CreateContainerConfigError until it exists', async () => {
    const p = pod({ containers: [{ name: 'c', image: 'busybox', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'later', key: 'token' } } }] }] });
    assert.deepEqual(await workers.sync('app/web', p), { requeueAfterMs: CONFIG_RETRY_MS });
    assert.equal(rt.created.length, 0);
    assert.deepEqual(lastStatus().containerStatuses[0].state, { waiting: { reason: 'CreateContainerConfigError', message: 'secret "later" not found' } });
    assert.equal(lastStatus().phase, 'Pending');
    assert.deepEqual(events, [{ reason: 'Failed', message: 'Error: secret "later" not found' }]);

    src.addSecret('app', 'later', { token: 't0k' });
    assert.equal(await workers.sync('app/web', p), undefined);
    assert.equal(rt.created[0].env!.find((e) => e.name === 'T')!.value, 't0k');
    assert.ok(lastStatus().containerStatuses[0].state.running);
  });

  it('a volume that cannot be set up keeps the pod ContainerCreating with a FailedMount event, without a sandbox', async () => {
    const p = pod({ volumes: [{ name: 'cfg', configMap: { name: 'missing' } }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] });
    assert.deepEqual(await workers.sync('app/web', p), { requeueAfterMs: CONFIG_RETRY_MS });
    assert.equal(rt.sandboxCount, 0);
    assert.deepEqual(lastStatus().containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
    assert.deepEqual(events, [{ reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "cfg" : configmap "missing" not found' }]);
    src.addConfigMap('app', 'missing', { k: 'v' });
    await workers.sync('app/web', p);
    assert.equal(rt.sandboxCount, 1);
    assert.equal(rt.created.length, 1);
  });

  it('shows what an exited container wrote to its terminationMessagePath as state.terminated.message', async () => {
    const p = pod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 0.2; exit 3'], terminationMessagePath: '/dev/termination-log' }] });
    await workers.sync('app/web', p);
    const file = rt.created[0].mounts!.find((m) => m.containerPath === '/dev/termination-log')!.hostPath;
    await writeFile(file, 'disk full\n'); // what the process would write before exiting
    const exited = await new Promise<any>((resolve) => rt.onContainerEvent((cs) => cs.state === 'exited' && resolve(cs)));
    workers.observe(exited);
    await workers.sync('app/web', p);
    assert.deepEqual(
      { exitCode: lastStatus().containerStatuses[0].state.terminated.exitCode, message: lastStatus().containerStatuses[0].state.terminated.message },
      { exitCode: 3, message: 'disk full\n' },
    );
  });
});
