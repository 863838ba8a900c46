/**
 * The etcd backend when a member is gone: an endpoint that refuses connections is passed
 * over by requests and watches alike; a lone member killed and restarted is used again
 * and the watch picks up where it was; and on a 3-member cluster, SIGKILL the member that
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

  it('an endpoint that refuses connections is skipped, for requests and watches', async () => {
    // A loopback port nothing listens on any more.
    const { createServer } = await import('node:net');
    const dead = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    for (let i = 0; i < 4; i++) {
      // Whichever endpoint the client starts on, every call lands.
      const c = new EtcdBackend({ endpoints: [`http://127.0.0.1:${dead}`, cluster.endpoints[0]], requestTimeoutMs: 2000 });
      try {
        const kv = await c.create(`/skip/k${i}`, 'v');
        assert.equal((await c.get(`/skip/k${i}`)).kv?.modRevision, kv.modRevision);
        const seen: WatchEvent[] = [];
        const ac = new AbortController();
        await c.watch('/skip/', { afterRevision: kv.modRevision - 1, signal: ac.signal }, (evs) => seen.push(...evs));
        const end = Date.now() + 10_000;
        while (!seen.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        ac.abort();
        assert.equal(seen[0]?.kv.key, `/skip/k${i}`);
      } finally {
        await c.close();
      }
    }
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

describe('etcd backend: a single member restarted', { skip }, () => {
  it('requests fail while it is down, then work again, and the watch resumes without a gap', async () => {
    const cluster = await EtcdCluster.start(1);
    const b = new EtcdBackend({ endpoints: cluster.endpoints, requestTimeoutMs: 1000, watchReconnectMs: 30_000 });
    try {
      const P = '/restart/';
      const start = await b.currentRevision();
      const seen: WatchEvent[] = [];
      const ac = new AbortController();
      let errored: Error | undefined;
      await b.watch(P, { afterRevision: start, signal: ac.signal }, (evs) => seen.push(...evs), (err) => (errored = err));
      await b.create(`${P}before`, 'v');
      const m = cluster.members[0];
      const exited = new Promise((r) => m.proc!.once('exit', r));
      cluster.kill(0);
      await exited;
      await assert.rejects(b.get(`${P}before`));
      cluster.launch(m);
      await cluster.waitHealthy();
      await b.create(`${P}after`, 'v');
      const end = Date.now() + 20_000;
      while (seen.length < 2 && Date.now() < end && !errored) await new Promise((r) => setTimeout(r, 50));
      ac.abort();
      assert.equal(errored, undefined);
      assert.deepEqual(seen.map((e) => `${e.type} ${e.kv.key}`), [`create ${P}before`, `create ${P}after`]);
    } finally {
      await b.close();
      await cluster.stop();
    }
  });
});
