/** The API handler over the memory store, in-process: what compaction means for clients (410). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { buildRegistry } from '../api/index.js';
import { MemoryBackend } from '../store/memory.js';
import { ApiHandler } from './handler.js';

describe('ApiHandler and compaction', () => {
  const backend = new MemoryBackend();
  const handler = new ApiHandler({ registry: buildRegistry(), backend });
  let server: Server;
  let base = '';
  before(async () => {
    await handler.bootstrap();
    server = createServer((req, res) => void handler.handle(req, res, { name: 'test', groups: ['system:masters'] }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as any).port}/api/v1/namespaces/default/configmaps`;
  });
  after(async () => {
    await handler.close();
    await new Promise((r) => server.close(r));
    await backend.close();
  });

  it('answers lists and watches from compacted revisions with 410 Expired', async () => {
    for (let i = 0; i < 3; i++) await fetch(base, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } }), headers: { 'content-type': 'application/json' } });
    const old = (await (await fetch(base)).json()).metadata.resourceVersion;
    await fetch(base, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } }), headers: { 'content-type': 'application/json' } });
    await backend.compact(await backend.currentRevision());
    const list = await fetch(`${base}?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
    assert.equal((await list.json()).reason, 'Expired');
    const watch = await fetch(`${base}?watch=true&resourceVersion=${old}`);
    assert.equal(watch.status, 200);
    const text = await watch.text();
    const ev = JSON.parse(text.trim().split('\n')[0]);
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.code, 410);
    assert.match(ev.object.message, /too old resource version/);
  });
});
