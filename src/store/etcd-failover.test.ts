/**
 * The etcd backend when a member dies: on a 3-member cluster, SIGKILL the member that
 * carries the backend's watch stream; writes go on (the client moves to another member),
 * and the watch resumes on another member from the revision after the last it delivered,
 * with every event once, in order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdBackend } from './etcd.js';
import { EtcdCluster, etcdAvailable } from './etcd-process.js';
import type { WatchEvent } from './types.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

/** Watch streams a member serves now, from its /metrics. */
async function watchStreams(clientUrl: string): Promise<number> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const m = /^etcd_debugging_mvcc_watch_stream_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('etcd backend: member loss', { skip }, () => {
  let cluster: EtcdCluster;
  let b: EtcdBackend;
  before(async () => {
    cluster = await EtcdCluster.start(3);
    b = new EtcdBackend({ endpoints: cluster.endpoints, requestTimeoutMs: 2000, watchReconnectMs: 20_000 });
  });
  after(async () => {
    await b?.close();
    await cluster?.stop();
  });

  it('writes and the watch continue after the member serving them is killed', async () => {
    const P = '/failover/';
    const start = await b.currentRevision();
    const seen: WatchEvent[] = [];
    const ac = new AbortController();
    let errored: Error | undefined;
    await b.watch(P, { afterRevision: start, signal: ac.signal }, (evs) => seen.push(...evs), (err) => (errored = err));
    for (let i = 0; i < 5; i++) await b.create(`${P}a${i}`, `v${i}`);

    const streams = await Promise.all(cluster.members.map((m) => watchStreams(m.clientUrl)));
    const victim = streams.findIndex((n) => n > 0);
    assert.ok(victim >= 0, `no member reports the watch stream (${streams})`);
    cluster.kill(victim);

    // Writes right after the kill: the first ones may wait for a new leader, none may fail.
    for (let i = 0; i < 5; i++) await b.create(`${P}b${i}`, `v${i}`);
    const end = Date.now() + 20_000;
    while (seen.length < 10 && Date.now() < end && !errored) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    assert.equal(errored, undefined);
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.kv.key}`),
      [...[0, 1, 2, 3, 4].map((i) => `create ${P}a${i}`), ...[0, 1, 2, 3, 4].map((i) => `create ${P}b${i}`)],
    );
    const revs = seen.map((e) => e.revision);
    assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
    assert.equal(new Set(revs).size, revs.length);
  });
});
