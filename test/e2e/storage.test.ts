/**
 * Persistent storage end to end, with the real kubectl against a `skiff server` running
 * two simulated nodes: the default `local-path` class (WaitForFirstConsumer) keeps a claim
 * Pending until a pod uses it, then the scheduler's node choice makes the provisioner
 * create a volume with that node's affinity, and later pods of the claim follow it there;
 * a static volume binds to a matching claim and, with Retain, is Released when the claim
 * goes; pvc-protection keeps a used claim Terminating until its pod is gone (pv-protection a
 * Bound volume); generic ephemeral volumes get pod-owned claims; a pod whose
 * claim is not bound waits with FailedMount; the `kubectl get pv,pvc,sc` columns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

const claim = (name: string, extra = '', size = '1Gi') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${extra}`;

const podWith = (name: string, claimName: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec:
  terminationGracePeriodSeconds: 0
${extra}  containers: [{name: c, image: busybox, command: [sleep, inf], volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: ${claimName}}}]
`;

const staticPv = (name: string, size: string, policy: string, cls = 'manual') => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}, labels: {tier: fast}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: ${policy}
  storageClassName: ${cls}
  hostPath: {path: /tmp/skiff-e2e-${name}}
`;

describe('persistent volumes and the local-path provisioner', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start(['--simulated-nodes', '2']);
    await c.until('2 nodes', async () => (await c.getJson('/api/v1/nodes')).items.length === 2);
  });
  after(async () => {
    assert.equal(await c?.stop(), 0);
    await c?.destroy();
  });

  const json = async (args: string[]) => JSON.parse(await c.k([...args, '-o', 'json']));
  const lines = (out: string) => out.split('\n').filter(Boolean);

  it('has the default class local-path (WaitForFirstConsumer, Delete) with the sc columns', async () => {
    const sc = await json(['get', 'storageclass', 'local-path']);
    assert.equal(sc.provisioner, 'rancher.io/local-path');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    const out = lines(await c.k(['get', 'sc']));
    assert.deepEqual(out[0].split(/\s{2,}/), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    assert.match(out[1], /^local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+s$/);
  });

  it('keeps a default-class claim Pending until a pod uses it, then provisions on the pod\'s node and binds', async () => {
    await c.k(['apply', '-f', '-'], { input: claim('data') });
    const pvc = await json(['get', 'pvc', 'data']);
    assert.equal(pvc.spec.storageClassName, 'local-path', 'DefaultStorageClass admission');
    assert.deepEqual(pvc.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    await c.until('the WaitForFirstConsumer event', async () => (await c.k(['get', 'events', '--field-selector', 'involvedObject.name=data,reason=WaitForFirstConsumer', '-o', 'name'])).length > 0);
    assert.equal((await json(['get', 'pvc', 'data'])).status.phase, 'Pending');
    assert.equal((await c.k(['get', 'pv', '-o', 'name'])).trim(), '');

    await c.k(['apply', '-f', '-'], { input: podWith('writer', 'data') });
    await c.k(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=60s']);
    const pod = await json(['get', 'pod', 'writer']);
    const bound = await json(['get', 'pvc', 'data']);
    assert.equal(bound.status.phase, 'Bound');
    assert.equal(bound.metadata.annotations['volume.kubernetes.io/selected-node'], pod.spec.nodeName);
    assert.equal(bound.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(bound.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'rancher.io/local-path');
    assert.equal(bound.spec.volumeName, `pvc-${bound.metadata.uid}`);
    assert.deepEqual(bound.status.capacity, { storage: '1Gi' });
    const pv = await json(['get', 'pv', bound.spec.volumeName]);
    assert.equal(pv.status.phase, 'Bound');
    assert.equal(pv.spec.claimRef.uid, bound.metadata.uid);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] }] }]);
    assert.match(pv.spec.hostPath.path, new RegExp(`/storage/pvc-${bound.metadata.uid}_default_data$`));
    assert.deepEqual(pv.metadata.finalizers, ['kubernetes.io/pv-protection']);
    // The claim's story, as `kubectl describe pvc` tells it on k3s.
    const events = (await json(['get', 'events', '--field-selector', 'involvedObject.name=data'])).items;
    const said = (reason: string) => events.find((e: any) => e.reason === reason);
    assert.equal(said('ExternalProvisioning')?.source.component, 'persistentvolume-controller');
    assert.match(said('ExternalProvisioning')?.message, /^Waiting for a volume to be created either by the external provisioner 'rancher\.io\/local-path' or manually/);
    assert.equal(said('Provisioning')?.message, 'External provisioner is provisioning volume for claim "default/data"');
    assert.equal(said('ProvisioningSucceeded')?.message, `Successfully provisioned volume ${pv.metadata.name}`);
    assert.equal(events.filter((e: any) => e.reason === 'Provisioning').reduce((n: number, e: any) => n + (e.count ?? 1), 0), 1, 'provisioned once');

    // Volume node affinity: every later pod of the claim lands on that node.
    const node = pod.spec.nodeName;
    for (const n of ['reader-1', 'reader-2', 'reader-3']) await c.k(['apply', '-f', '-'], { input: podWith(n, 'data') });
    await c.k(['wait', '--for=condition=Ready', 'pod/reader-1', 'pod/reader-2', 'pod/reader-3', '--timeout=60s']);
    for (const n of ['reader-1', 'reader-2', 'reader-3']) assert.equal(await c.k(['get', 'pod', n, '-o', 'jsonpath={.spec.nodeName}']), node);
    // Pinned to the other node, a pod cannot run: the volume cannot go there.
    const other = node === 'sim-node-0' ? 'sim-node-1' : 'sim-node-0';
    await c.k(['apply', '-f', '-'], { input: podWith('elsewhere', 'data', `  nodeSelector: {kubernetes.io/hostname: ${other}}\n`) });
    const msg = await c.until('FailedScheduling', async () => {
      const ev = (await json(['get', 'events', '--field-selector', 'involvedObject.name=elsewhere,reason=FailedScheduling'])).items;
      return ev[0]?.message;
    });
    assert.match(msg, /volume node affinity conflict/);
    await c.k(['delete', 'pod', 'elsewhere', 'reader-1', 'reader-2', 'reader-3', '--wait=false']);
  });

  it('keeps a claim used by a pod Terminating (pvc-protection), then deletes its Delete-policy volume', async () => {
    const pvName = await c.k(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}']);
    await c.k(['delete', 'pvc', 'data', '--wait=false']);
    await new Promise((r) => setTimeout(r, 1500));
    const pvc = await json(['get', 'pvc', 'data']);
    assert.ok(pvc.metadata.deletionTimestamp);
    assert.deepEqual(pvc.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    assert.match(lines(await c.k(['get', 'pvc', 'data']))[1], /^data\s+Terminating\s/);
    await c.k(['delete', 'pod', 'writer', 'reader-1', 'reader-2', 'reader-3', '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await c.until('the claim gone', async () => (await c.kubectl(['get', 'pvc', 'data'])).code !== 0);
    await c.until('the provisioned volume deleted', async () => (await c.kubectl(['get', 'pv', pvName])).code !== 0);
  });

  it('binds a static volume to the smallest matching claim and, with Retain, leaves it Released', async () => {
    await c.k(['apply', '-f', '-'], { input: [staticPv('small', '500Mi', 'Retain'), staticPv('big', '5Gi', 'Retain'), staticPv('mid', '2Gi', 'Retain')].join('---\n') });
    await c.until('volumes Available', async () => (await json(['get', 'pv'])).items.every((v: any) => v.status.phase === 'Available'));
    await c.k(['apply', '-f', '-'], { input: claim('static', '  storageClassName: manual\n  selector: {matchLabels: {tier: fast}}\n') });
    await c.until('the claim bound', async () => (await json(['get', 'pvc', 'static'])).status.phase === 'Bound');
    const pvc = await json(['get', 'pvc', 'static']);
    assert.equal(pvc.spec.volumeName, 'mid');
    assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.deepEqual(pvc.status.capacity, { storage: '2Gi' });
    assert.deepEqual(pvc.status.accessModes, ['ReadWriteOnce']);
    const pv = await json(['get', 'pv', 'mid']);
    assert.equal(pv.status.phase, 'Bound');
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.deepEqual({ ns: pv.spec.claimRef.namespace, name: pv.spec.claimRef.name, uid: pv.spec.claimRef.uid }, { ns: 'default', name: 'static', uid: pvc.metadata.uid });

    const pvOut = lines(await c.k(['get', 'pv', 'mid']));
    assert.deepEqual(pvOut[0].split(/\s{2,}/), ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    assert.match(pvOut[1], /^mid\s+2Gi\s+RWO\s+Retain\s+Bound\s+default\/static\s+manual\s+<unset>\s+\d+s$/);
    const pvcOut = lines(await c.k(['get', 'pvc', 'static']));
    assert.deepEqual(pvcOut[0].split(/\s{2,}/), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    assert.match(pvcOut[1], /^static\s+Bound\s+mid\s+2Gi\s+RWO\s+manual\s+<unset>\s+\d+s$/);
    const all = await c.k(['get', 'pv,pvc,sc']);
    assert.match(all, /persistentvolume\/mid\s+2Gi/);
    assert.match(all, /persistentvolumeclaim\/static\s+Bound/);
    assert.match(all, /storageclass\.storage\.k8s\.io\/local-path \(default\)/);

    await c.k(['delete', 'pvc', 'static', '--timeout=30s']);
    await c.until('the volume Released', async () => (await json(['get', 'pv', 'mid'])).status.phase === 'Released');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await json(['get', 'pv', 'mid'])).status.phase, 'Released', 'Retain keeps the volume');
    assert.match(lines(await c.k(['get', 'pv', 'mid']))[1], /\sReleased\s+default\/static\s/);
    // The other two were never touched.
    for (const n of ['small', 'big']) assert.equal((await json(['get', 'pv', n])).status.phase, 'Available');
  });

  it('lets a pod wait with FailedMount while its claim is not bound, and start once it is', async () => {
    // Immediate class with no volume to bind: the scheduler keeps the pod Pending, but a pod
    // placed on a node directly (spec.nodeName) reaches the node, which waits for the claim.
    await c.k(['apply', '-f', '-'], { input: claim('later', '  storageClassName: slow\n', '3Gi') });
    await c.k(['apply', '-f', '-'], { input: podWith('waiting', 'later', '  nodeName: sim-node-0\n') });
    const msg = await c.until('FailedMount', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=waiting,reason=FailedMount'])).items[0]?.message);
    assert.match(msg, /^Unable to attach or mount volumes: unmounted volumes=\[data\], unattached volumes=\[data kube-api-access-\w+\]: error processing PVC default\/later: PVC is not bound$/);
    assert.equal(await c.k(['get', 'pod', 'waiting', '-o', 'jsonpath={.status.phase}']), 'Pending');
    // A volume of its class appears: the claim binds to it and the pod starts.
    await c.k(['apply', '-f', '-'], { input: staticPv('slow-pv', '3Gi', 'Retain', 'slow') });
    await c.until('bound', async () => (await json(['get', 'pvc', 'later'])).status.phase === 'Bound');
    assert.equal(await c.k(['get', 'pvc', 'later', '-o', 'jsonpath={.spec.volumeName}']), 'slow-pv');
    await c.k(['wait', '--for=condition=Ready', 'pod/waiting', '--timeout=60s']);

    // pv-protection: a Bound volume that is deleted stays (Terminating) until it is released.
    await c.k(['delete', 'pv', 'slow-pv', '--wait=false']);
    await new Promise((r) => setTimeout(r, 1000));
    const pv = await json(['get', 'pv', 'slow-pv']);
    assert.ok(pv.metadata.deletionTimestamp);
    assert.deepEqual(pv.metadata.finalizers, ['kubernetes.io/pv-protection']);
    assert.match(lines(await c.k(['get', 'pv', 'slow-pv']))[1], /\sTerminating\s+default\/later\s/);
    await c.k(['delete', 'pod', 'waiting', '--timeout=60s']);
    await c.k(['delete', 'pvc', 'later', '--timeout=60s']);
    await c.until('the released volume gone', async () => (await c.kubectl(['get', 'pv', 'slow-pv'])).code !== 0);
  });

  it('keeps a pod of an unbound Immediate claim Pending in the scheduler, with upstream\'s message', async () => {
    await c.k(['apply', '-f', '-'], { input: claim('nothing-fits', '  storageClassName: slow\n', '7Gi') });
    await c.k(['apply', '-f', '-'], { input: podWith('unplaced', 'nothing-fits') });
    const msg = await c.until('FailedScheduling', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=unplaced,reason=FailedScheduling'])).items[0]?.message);
    assert.equal(msg, '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    assert.equal(await c.k(['get', 'pod', 'unplaced', '-o', 'jsonpath={.spec.nodeName}']), '');
  });

  it('gives a generic ephemeral volume its own claim, owned by the pod and gone with it', async () => {
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: scratch, namespace: default}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: busybox, command: [sleep, inf], volumeMounts: [{name: tmp, mountPath: /tmp}]}]
  volumes:
  - name: tmp
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {kind: scratch}}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 100Mi}}}
`,
    });
    await c.k(['wait', '--for=condition=Ready', 'pod/scratch', '--timeout=60s']);
    const pod = await json(['get', 'pod', 'scratch']);
    const pvc = await json(['get', 'pvc', 'scratch-tmp']);
    assert.equal(pvc.status.phase, 'Bound');
    assert.equal(pvc.spec.storageClassName, 'local-path');
    assert.deepEqual(pvc.metadata.labels, { kind: 'scratch' });
    assert.deepEqual(pvc.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.uid, o.controller]), [['Pod', 'scratch', pod.metadata.uid, true]]);
    await c.k(['delete', 'pod', 'scratch', '--timeout=60s']);
    await c.until('the claim collected with its pod', async () => (await c.kubectl(['get', 'pvc', 'scratch-tmp'])).code !== 0);
  });

  it('a claim local-path cannot provision (ReadWriteMany): ProvisioningFailed, the node choice is reset, the pod stays Pending', async () => {
    await c.k(['apply', '-f', '-'], { input: claim('shared', '').replace('[ReadWriteOnce]', '[ReadWriteMany]') });
    await c.k(['apply', '-f', '-'], { input: podWith('sharer', 'shared') });
    const failed = await c.until('ProvisioningFailed', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=shared,reason=ProvisioningFailed'])).items[0]?.message);
    assert.equal(failed, 'failed to provision volume with StorageClass "local-path": NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes');
    const sched = await c.until('FailedScheduling', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=sharer,reason=FailedScheduling'])).items[0]?.message);
    assert.equal(sched, 'running PreBind plugin "VolumeBinding": binding volumes: selectedNode annotation reset for PVC "shared"');
    assert.equal(await c.k(['get', 'pod', 'sharer', '-o', 'jsonpath={.spec.nodeName}']), '');
    assert.equal(await c.k(['get', 'pvc', 'shared', '-o', 'jsonpath={.status.phase}']), 'Pending');
    await c.k(['delete', 'pod', 'sharer', '--wait=false']);
  });

  it('binds a local volume of a no-provisioner WaitForFirstConsumer class on the node that has it', async () => {
    await c.k(['apply', '-f', '-'], {
      input: `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-storage
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [sim-node-1]}]
`,
    });
    await c.until('local-pv Available', async () => (await json(['get', 'pv', 'local-pv'])).status.phase === 'Available');
    await c.k(['apply', '-f', '-'], { input: claim('local-claim', '  storageClassName: local-storage\n') });
    await c.k(['apply', '-f', '-'], { input: podWith('local-user', 'local-claim') });
    await c.k(['wait', '--for=condition=Ready', 'pod/local-user', '--timeout=60s']);
    assert.equal(await c.k(['get', 'pod', 'local-user', '-o', 'jsonpath={.spec.nodeName}']), 'sim-node-1');
    assert.equal(await c.k(['get', 'pvc', 'local-claim', '-o', 'jsonpath={.spec.volumeName}']), 'local-pv');
    // Another claim of the class: no volume left on any node, so its pod cannot be placed.
    await c.k(['apply', '-f', '-'], { input: claim('local-claim-2', '  storageClassName: local-storage\n') });
    await c.k(['apply', '-f', '-'], { input: podWith('local-user-2', 'local-claim-2') });
    const msg = await c.until('FailedScheduling', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=local-user-2,reason=FailedScheduling'])).items[0]?.message);
    assert.match(msg, /^0\/2 nodes are available: 2 node\(s\) didn't find available persistent volumes to bind\./);
    await c.k(['delete', 'pod', 'local-user', 'local-user-2', '--wait=false']);
  });

  it('has upstream\'s system:persistent-volume-provisioner role for external provisioners', async () => {
    await c.k(['create', 'serviceaccount', 'nfs-provisioner']);
    await c.k(['create', 'clusterrolebinding', 'nfs-provisioner', '--clusterrole=system:persistent-volume-provisioner', '--serviceaccount=default:nfs-provisioner']);
    const can = (verb: string, what: string) => c.kubectl(['auth', 'can-i', verb, what, '--as=system:serviceaccount:default:nfs-provisioner']).then((r) => r.stdout.trim());
    await c.until('the binding in effect', async () => (await can('create', 'persistentvolumes')) === 'yes');
    assert.equal(await can('list', 'storageclasses.storage.k8s.io'), 'yes');
    assert.equal(await can('update', 'persistentvolumeclaims'), 'yes');
    assert.equal(await can('delete', 'persistentvolumeclaims'), 'no');
    assert.equal(await can('create', 'storageclasses.storage.k8s.io'), 'no');
  });

  it('rejects invalid volumes and classes with upstream\'s messages', async () => {
    const bad = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: bad}\nspec:\n  accessModes: [ReadWriteSometimes]\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.accessModes: Unsupported value: "ReadWriteSometimes"/);
    assert.match(bad.stderr, /spec\.capacity: Required value/);
    assert.match(bad.stderr, /spec: Required value: must specify a volume type/);
    const sc = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: bad}\nprovisioner: example.com/x\nvolumeBindingMode: Sometimes\n' });
    assert.match(sc.stderr, /volumeBindingMode: Unsupported value: "Sometimes": supported values: "Immediate", "WaitForFirstConsumer"/);
    const change = await c.kubectl(['patch', 'sc', 'local-path', '--type=merge', '-p', '{"reclaimPolicy":"Retain"}']);
    assert.match(change.stderr, /reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden\./);
  });

  it('lets only one pod use a ReadWriteOncePod claim', async () => {
    await c.k(['apply', '-f', '-'], { input: claim('solo').replace('[ReadWriteOnce]', '[ReadWriteOncePod]') });
    await c.k(['apply', '-f', '-'], { input: podWith('solo-1', 'solo') });
    await c.k(['wait', '--for=condition=Ready', 'pod/solo-1', '--timeout=60s']);
    await c.k(['apply', '-f', '-'], { input: podWith('solo-2', 'solo') });
    const msg = await c.until('FailedScheduling', async () => (await json(['get', 'events', '--field-selector', 'involvedObject.name=solo-2,reason=FailedScheduling'])).items[0]?.message);
    assert.match(msg, /^0\/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode\./);
    // The holder gone, the other pod gets the claim.
    await c.k(['delete', 'pod', 'solo-1', '--timeout=60s']);
    await c.k(['wait', '--for=condition=Ready', 'pod/solo-2', '--timeout=60s']);
    await c.k(['delete', 'pod', 'solo-2', '--wait=false']);
  });

  it('gives a claim made while no class was the default the default class once there is one (retroactive)', async () => {
    await c.k(['annotate', 'sc', 'local-path', 'storageclass.kubernetes.io/is-default-class=false', '--overwrite']);
    await c.k(['apply', '-f', '-'], { input: claim('early') });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await json(['get', 'pvc', 'early'])).spec.storageClassName, undefined, 'no default class: none assigned');
    await c.k(['apply', '-f', '-'], { input: claim('no-class', '  storageClassName: ""\n') });
    await c.k(['annotate', 'sc', 'local-path', 'storageclass.kubernetes.io/is-default-class=true', '--overwrite']);
    await c.until('the default assigned', async () => (await json(['get', 'pvc', 'early'])).spec.storageClassName === 'local-path');
    assert.equal((await json(['get', 'pvc', 'no-class'])).spec.storageClassName, '', '"" means no class and stays');
  });
});
