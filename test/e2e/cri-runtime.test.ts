/**
 * The Runtime conformance suite against the cri runtime and a real containerd (started
 * as the agent starts it), inside a network namespace of its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_NETNS, runInNetns } from '../netns.js';
import { cleanupNode, criSkipReason, setupNodeNetwork } from '../cri-node.js';
import { runtimeConformance } from '../../src/agent/runtime/conformance.js';
import { CriRuntime, ensureBuiltinImages, startContainerd, writeCniConfig, BUSYBOX_IMAGE, type StartedContainerd } from '../../src/agent/runtime/cri/index.js';
import { silentLogger } from '../../src/util/log.js';

const POD_CIDR = '10.42.9.0/24';

if (!IN_NETNS) {
  describe('cri runtime conformance (in a private network namespace)', () => {
    it('passes inside `unshare --net`', { skip: criSkipReason() }, async () => {
      const r = await runInNetns(fileURLToPath(import.meta.url), 300_000);
      if (r.code !== 0) assert.fail(`the cri conformance suite failed inside its network namespace:\n${r.output}`);
      assert.match(r.output.match(/ℹ tests \d+[\s\S]*?ℹ fail \d+/)?.[0] ?? '', /ℹ fail 0/, r.output);
    });
  });
} else {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-cri-conf-'));
  let containerd: StartedContainerd | undefined;
  before(async () => {
    setupNodeNetwork('192.168.78.1');
    writeCniConfig({ confDir: join(dataDir, 'agent', 'cni'), podCidr: POD_CIDR, ipamDataDir: join(dataDir, 'agent', 'ipam') });
    containerd = await startContainerd({ dataDir, log: silentLogger });
    ensureBuiltinImages({ socket: containerd.socket, dataDir, snapshotter: containerd.snapshotter, log: silentLogger });
  });
  after(async () => {
    await cleanupNode(dataDir, 'conformance');
    await containerd?.stop();
  });
  runtimeConformance({ name: 'cri (containerd)', podCidr: POD_CIDR, image: BUSYBOX_IMAGE, make: async () => new CriRuntime({ endpoint: containerd!.socket, nodeName: 'conformance', log: silentLogger }) });

  describe('cri runtime: exec, streaming URLs, stats, sandbox readiness', () => {
    it('runs ExecSync, hands out exec/attach/port-forward URLs, reports stats, and knows a stopped sandbox is not ready', async () => {
      const rt = new CriRuntime({ endpoint: containerd!.socket, nodeName: 'conformance-extra', log: silentLogger });
      try {
        const sb = await rt.runPodSandbox({ podUid: 'extra-1', namespace: 'x', name: 'extra', hostNetwork: false });
        const id = await rt.createContainer(sb.id, { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'], podAnnotations: {} });
        await rt.startContainer(id);
        const ok = await rt.execSync(id, ['sh', '-c', 'echo out; echo err >&2; exit 4'], 10);
        assert.equal(ok.exitCode, 4);
        assert.equal(ok.stdout.toString(), 'out\n');
        assert.equal(ok.stderr.toString(), 'err\n');
        const hostname = await rt.execSync(id, ['hostname'], 10);
        assert.equal(hostname.stdout.toString().trim(), 'extra');
        for (const url of [
          await rt.streamingUrl({ kind: 'exec', containerId: id, cmd: ['sh'], tty: false, stdin: true, stdout: true, stderr: true }),
          await rt.streamingUrl({ kind: 'attach', containerId: id, tty: false, stdin: false, stdout: true, stderr: true }),
          await rt.streamingUrl({ kind: 'portforward', sandboxId: sb.id, ports: [8080] }),
        ])
          assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/(exec|attach|portforward)\/\S+$/);
        const stats = await rt.containerStats(id);
        assert.ok((stats.memoryWorkingSetBytes ?? 0) > 0, JSON.stringify(stats));
        assert.ok((stats.cpuUsageCoreNanoSeconds ?? 0) > 0, JSON.stringify(stats));
        assert.equal(await rt.podSandboxReady(sb.id), true);
        await rt.stopPodSandbox(sb.id);
        assert.equal(await rt.podSandboxReady(sb.id), false);
        await rt.removePodSandbox(sb.id);
        assert.equal(await rt.podSandboxReady(sb.id), false);
      } finally {
        await rt.removeAll();
        await rt.close();
      }
    });
  });
}
