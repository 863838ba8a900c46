/**
 * The Runtime conformance suite: what the agent relies on from any runtime, run against
 * every implementation (simulated here, cri against a real containerd in its own network
 * namespace). Images and commands are ones both understand: `sleep 3600` runs until
 * stopped, `sh -c "exit 3"` ends at once with code 3.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig, ContainerStatus, Runtime } from './types.js';

export interface ConformanceTarget {
  name: string;
  /** A fresh runtime for a node whose pod CIDR is podCidr. */
  make(): Promise<Runtime>;
  podCidr: string;
  image: string;
  skip?: string | false;
}

const inCidr = (ip: string, cidr: string) => {
  const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return n(ip) >= n(base) && n(ip) < n(base) + size;
};

export function runtimeConformance(t: ConformanceTarget): void {
  const container = (name: string, command: string[]): ContainerConfig => ({ name, image: t.image, imagePullPolicy: 'IfNotPresent', command, podAnnotations: {} });
  let n = 0;
  const sandbox = (rt: Runtime) => {
    n++;
    return rt.runPodSandbox({ podUid: `conformance-${process.pid}-${n}`, namespace: 'conformance', name: `pod-${n}`, hostNetwork: false });
  };
  const withRuntime = (fn: (rt: Runtime) => Promise<void>) => async () => {
    const rt = await t.make();
    try {
      await fn(rt);
    } finally {
      for (const s of await rt.listSandboxes()) {
        await rt.stopPodSandbox(s.id);
        await rt.removePodSandbox(s.id);
      }
      await rt.close();
    }
  };

  describe(`Runtime conformance: ${t.name}`, { skip: t.skip }, () => {
    it('runs a ready sandbox with an IP from the pod CIDR, and lists it', withRuntime(async (rt) => {
      const sb = await sandbox(rt);
      assert.ok(sb.ready);
      assert.ok(inCidr(sb.ip, t.podCidr), `${sb.ip} in ${t.podCidr}`);
      const listed = (await rt.listSandboxes()).find((s) => s.id === sb.id);
      assert.equal(listed?.podUid, sb.podUid);
      assert.equal(listed?.ip, sb.ip);
      const other = await sandbox(rt);
      assert.notEqual(other.ip, sb.ip, 'each sandbox its own IP');
    }));

    it('creates, starts, reports, stops and removes a container', withRuntime(async (rt) => {
      const sb = await sandbox(rt);
      const id = await rt.createContainer(sb.id, container('main', ['sleep', '3600']));
      const created = await rt.containerStatus(id);
      assert.equal(created?.state, 'created');
      await rt.startContainer(id);
      const running = await rt.containerStatus(id);
      assert.equal(running?.state, 'running');
      assert.equal(running?.name, 'main');
      assert.equal(running?.sandboxId, sb.id);
      assert.ok(running?.startedAt instanceof Date);
      assert.deepEqual((await rt.listContainers(sb.id)).map((c) => c.id), [id]);
      await rt.stopContainer(id, 1);
      const stopped = await rt.containerStatus(id);
      assert.equal(stopped?.state, 'exited');
      assert.ok(stopped?.exitCode !== undefined && stopped.exitCode !== 0, `exit code ${stopped?.exitCode}`);
      await rt.removeContainer(id);
      assert.equal(await rt.containerStatus(id), undefined);
      assert.deepEqual(await rt.listContainers(sb.id), []);
    }));

    it('reports a container that exits by itself through onContainerEvent, with its exit code', withRuntime(async (rt) => {
      const events: ContainerStatus[] = [];
      rt.onContainerEvent((c) => events.push(c));
      const sb = await sandbox(rt);
      const id = await rt.createContainer(sb.id, container('ends', ['sh', '-c', 'exit 3']));
      await rt.startContainer(id);
      const end = Date.now() + 20_000;
      while (!events.some((e) => e.id === id) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const e = events.find((x) => x.id === id);
      assert.ok(e, 'an event for the exit');
      assert.equal(e.state, 'exited');
      assert.equal(e.exitCode, 3);
      assert.equal(e.sandboxId, sb.id);
      assert.ok(e.finishedAt instanceof Date);
    }));

    it('stops a sandbox with its containers and removes both', withRuntime(async (rt) => {
      const sb = await sandbox(rt);
      const id = await rt.createContainer(sb.id, container('main', ['sleep', '3600']));
      await rt.startContainer(id);
      await rt.stopPodSandbox(sb.id);
      assert.equal((await rt.containerStatus(id))?.state, 'exited');
      await rt.removePodSandbox(sb.id);
      assert.equal((await rt.listSandboxes()).find((s) => s.id === sb.id), undefined);
      assert.equal(await rt.containerStatus(id), undefined);
      // Both are idempotent.
      await rt.stopPodSandbox(sb.id);
      await rt.removePodSandbox(sb.id);
    }));

    it('reports a running container\'s usage (ContainerStats): a cumulative cpu counter that does not go back, a working set', withRuntime(async (rt) => {
      if (!rt.containerStats) return;
      const sb = await sandbox(rt);
      const id = await rt.createContainer(sb.id, container('main', ['sleep', '3600']));
      await rt.startContainer(id);
      const a = await rt.containerStats(id);
      await new Promise((r) => setTimeout(r, 50));
      const b = await rt.containerStats(id);
      assert.ok(a.cpuUsageCoreNanoSeconds !== undefined && b.cpuUsageCoreNanoSeconds !== undefined, JSON.stringify(a));
      assert.ok(b.cpuUsageCoreNanoSeconds! >= a.cpuUsageCoreNanoSeconds!, `${a.cpuUsageCoreNanoSeconds} then ${b.cpuUsageCoreNanoSeconds}`);
      assert.ok((b.memoryWorkingSetBytes ?? -1) >= 0, JSON.stringify(b));
      assert.ok(b.timestampMs !== undefined && b.timestampMs >= a.timestampMs!, JSON.stringify([a, b]));
    }));
  });
}
