/**
 * Events through both APIs, as on a real cluster: events.k8s.io/v1 and core/v1 Events
 * are one set of objects, so an event recorded through either is listed, read and
 * watched through both, with upstream's field mapping (regarding ↔ involvedObject,
 * note ↔ message, reportingController ↔ reportingComponent, deprecated* ↔ the old names).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Cluster } from './cluster.js';

const newStyle = `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: recorded.1, namespace: default}
eventTime: "2026-11-30T12:00:00.000000Z"
reportingController: example.com/operator
reportingInstance: operator-0
action: Reconcile
reason: Synced
type: Normal
note: widget reconciled
regarding: {kind: ConfigMap, name: widget, namespace: default, apiVersion: v1}
`;

const oldStyle = `apiVersion: v1
kind: Event
metadata: {name: legacy.1, namespace: default}
involvedObject: {kind: Pod, name: web-0, namespace: default, apiVersion: v1}
reason: BackOff
message: back-off restarting
type: Warning
source: {component: kubelet, host: node-a}
firstTimestamp: "2026-11-30T11:00:00Z"
lastTimestamp: "2026-11-30T11:05:00Z"
count: 3
`;

describe('events through core/v1 and events.k8s.io/v1', () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start([]);
  });
  after(async () => {
    await c?.destroy();
  });

  it('shows an events.k8s.io event through the core API with the old field names', async () => {
    await c.k(['apply', '-f', '-'], { input: newStyle });
    const core = JSON.parse(await c.k(['get', 'events', 'recorded.1', '-o', 'json']));
    assert.equal(core.apiVersion, 'v1');
    assert.deepEqual(core.involvedObject, { kind: 'ConfigMap', name: 'widget', namespace: 'default', apiVersion: 'v1' });
    assert.equal(core.message, 'widget reconciled');
    assert.equal(core.reportingComponent, 'example.com/operator');
    assert.equal(core.reportingInstance, 'operator-0');
    assert.equal(core.action, 'Reconcile');
    assert.match(core.eventTime, /^2026-11-30T12:00:00/);
    assert.match(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=widget']), /Normal\s+Synced\s+configmap\/widget\s+widget reconciled/);
  });

  it('events.k8s.io field selectors use its own field names (regarding.*, reportingController), as upstream', async () => {
    await c.k(['apply', '-f', '-'], { input: newStyle });
    const names = async (sel: string) => (await c.k(['get', 'events.events.k8s.io', '-o', 'name', '--field-selector', sel])).split('\n').filter(Boolean);
    assert.deepEqual(await names('regarding.name=widget'), ['event.events.k8s.io/recorded.1']);
    assert.deepEqual(await names('regarding.kind=ConfigMap,reason=Synced,type=Normal'), ['event.events.k8s.io/recorded.1']);
    assert.deepEqual(await names('reportingController=example.com/operator'), ['event.events.k8s.io/recorded.1']);
    assert.deepEqual(await names('regarding.name=other'), []);
    // The core names are not field labels of events.k8s.io.
    const bad = await c.kubectl(['get', 'events.events.k8s.io', '--field-selector', 'involvedObject.name=widget']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: involvedObject\.name/);
  });

  it('shows a core event through events.k8s.io with the new field names', async () => {
    await c.k(['apply', '-f', '-'], { input: oldStyle });
    const ev = JSON.parse(await c.k(['get', 'events.events.k8s.io', 'legacy.1', '-o', 'json']));
    assert.equal(ev.apiVersion, 'events.k8s.io/v1');
    assert.equal(ev.note, 'back-off restarting');
    assert.deepEqual(ev.regarding, { kind: 'Pod', name: 'web-0', namespace: 'default', apiVersion: 'v1' });
    assert.deepEqual(ev.deprecatedSource, { component: 'kubelet', host: 'node-a' });
    assert.equal(ev.deprecatedCount, 3);
    assert.equal(ev.deprecatedFirstTimestamp, '2026-11-30T11:00:00Z');
    assert.equal(ev.eventTime, null);
    const names = (await c.k(['get', 'events.events.k8s.io', '-o', 'name'])).split('\n');
    assert.ok(names.includes('event.events.k8s.io/legacy.1') && names.includes('event.events.k8s.io/recorded.1'), names.join('\n'));
    // One object: deleting it through one API removes it from the other.
    await c.k(['delete', 'events.events.k8s.io', 'legacy.1']);
    const gone = await c.kubectl(['get', 'events', 'legacy.1']);
    assert.match(gone.stderr, /NotFound|not found/);
  });

  it('delivers a core event to a watch on events.k8s.io', async () => {
    const w = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'events.events.k8s.io', '--watch-only', '-o', 'jsonpath={.note}{"\\n"}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    try {
      // The watch is open once kubectl has listed; create until it has seen one.
      await c.until('the watch to see the core event', async () => {
        await c.k(['apply', '-f', '-'], { input: oldStyle.replace('legacy.1', `watched.${Date.now()}`).replace('back-off restarting', 'seen through the watch') });
        return out.includes('seen through the watch');
      }, 20_000);
    } finally {
      w.kill();
    }
  });
});
