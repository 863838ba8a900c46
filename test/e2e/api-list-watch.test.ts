/**
 * list and watch semantics over raw HTTPS: pages at one revision with continue tokens,
 * resourceVersionMatch=Exact, watch from a resourceVersion, sendInitialEvents with the
 * initial-events-end bookmark, Table output, replay of history.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';
import { watchLines } from './watch.js';

describe('list and watch', () => {
  let c: Cluster;
  const base = '/api/v1/namespaces/default/configmaps';
  before(async () => {
    c = await Cluster.start(['--disable-controllers']);
    for (let i = 0; i < 25; i++) await c.raw('POST', base, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } } }) });
  });
  after(async () => {
    await c.destroy();
  });

  it('pages through a list at one revision with continue tokens', async () => {
    const first = await c.getJson(`${base}?limit=10`);
    assert.equal(first.items.length, 10);
    assert.ok(first.metadata.continue);
    assert.equal(first.metadata.remainingItemCount, 15);
    // A write between pages does not show up: pages are read at the first page's revision.
    await c.raw('POST', base, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-00a' } }) });
    const second = await c.getJson(`${base}?limit=10&continue=${encodeURIComponent(first.metadata.continue)}`);
    const third = await c.getJson(`${base}?limit=10&continue=${encodeURIComponent(second.metadata.continue)}`);
    const names = [...first.items, ...second.items, ...third.items].map((x: any) => x.metadata.name);
    assert.equal(names.length, 25);
    assert.ok(!names.includes('cm-00a'));
    assert.equal(third.metadata.continue, undefined);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    const bad = await c.raw('GET', `${base}?limit=10&continue=garbage`);
    assert.equal(bad.code, 400);
  });

  it('reads at an exact resourceVersion and filters by label', async () => {
    const before = await c.getJson(base);
    await c.raw('DELETE', `${base}/cm-01`);
    const exact = await c.getJson(`${base}?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.ok(exact.items.some((x: any) => x.metadata.name === 'cm-01'));
    const odd = await c.getJson(`${base}?labelSelector=parity%3Dodd`);
    assert.ok(odd.items.length > 0 && odd.items.every((x: any) => x.metadata.labels.parity === 'odd'));
    const badSel = await c.raw('GET', `${base}?fieldSelector=spec.nope%3Dx`);
    assert.equal(badSel.code, 400);
    assert.match(badSel.json.message, /field label not supported: spec.nope/);
  });

  it('watches from a resourceVersion, with sendInitialEvents and the initial-events-end bookmark', async () => {
    const list = await c.getJson(base);
    const w = watchLines(c, `${base}?watch=true&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true`);
    await w.ready;
    await c.raw('POST', base, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } }) });
    await c.until('the ADDED event', async () => w.lines.some((l) => l.type === 'ADDED' && l.object.metadata.name === 'after'));
    assert.equal(w.lines.filter((l) => l.type === 'ADDED').length, 1, 'only changes after the resourceVersion');
    w.close();

    const init = watchLines(c, `${base}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    await init.ready;
    const bm = await c.until('the initial-events-end bookmark', async () => init.lines.find((l) => l.type === 'BOOKMARK'));
    assert.equal(bm.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    const added = init.lines.filter((l) => l.type === 'ADDED').length;
    assert.equal(added, (await c.getJson(base)).items.length);
    init.close();
  });

  it('streams Table rows when kubectl-style Accept asks for them', async () => {
    const w = watchLines(c, `${base}?watch=true&resourceVersion=0`, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    await w.ready;
    const first = await c.until('a table event', async () => w.lines[0]);
    assert.equal(first.object.kind, 'Table');
    assert.deepEqual(first.object.columnDefinitions.map((d: any) => d.name), ['Name', 'Data', 'Age']);
    w.close();
  });

  it('replays history from an old resourceVersion that is not compacted yet', async () => {
    const w = watchLines(c, `${base}?watch=true&resourceVersion=1`);
    await w.ready;
    await c.until('replayed events', async () => w.lines.length > 25);
    w.close();
  });
});
