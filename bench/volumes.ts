/**
 * bench/volumes: what the agent's volume and configuration work costs per pod, on this
 * machine's disk (no containers): for PODS pods, each with a configMap (KEYS keys), a
 * secret, a downwardAPI and an emptyDir volume plus env from all of them, it times
 * setting the volumes up and preparing the container (env, mounts, /etc/hosts,
 * termination log), a refresh with nothing changed, a refresh after the ConfigMap
 * changed (atomic swap), and teardown. Bounded by count; prints p50/p99 per step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConfigSource } from '../src/agent/fake-config-source.js';
import { prepareContainer } from '../src/agent/prepare.js';
import { setUpPodVolumes, tearDownPodVolumes, updatePodVolumes } from '../src/agent/volumes/pod-volumes.js';
import { latency, ms } from './lib/stats.js';

const PODS = Math.min(Number(process.env.PODS ?? 200), 2000);
const KEYS = Math.min(Number(process.env.KEYS ?? 10), 200);

const root = mkdtempSync(join(tmpdir(), 'skiff-bench-volumes-'));
const src = new FakeConfigSource();
const data = (v: string) => Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [`key-${i}`, `${v}-${i}`.repeat(20)]));
src.addConfigMap('bench', 'cfg', data('v1')).addSecret('bench', 'sec', { password: 'p' });
for (let i = 0; i < 20; i++) src.addService('bench', `svc-${i}`, `10.43.1.${i + 1}`, [{ name: 'http', port: 80 }]);
src.addService('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]);

const pod = (i: number) => ({
  metadata: { name: `p-${i}`, namespace: 'bench', uid: `uid-${i}`, labels: { app: 'bench' } },
  spec: {
    nodeName: 'n',
    enableServiceLinks: true,
    containers: [
      {
        name: 'c',
        image: 'busybox',
        terminationMessagePath: '/dev/termination-log',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: ['cfg', 'sec', 'info', 'scratch'].map((n) => ({ name: n, mountPath: `/${n}` })),
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'sec', secret: { secretName: 'sec' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'scratch', emptyDir: {} },
    ],
  },
});

const steps: Record<string, number[]> = { 'set up + prepare': [], 'refresh (unchanged)': [], 'refresh (ConfigMap changed)': [], teardown: [] };
const ctx = { rootDir: root, source: src, mountTmpfs: false, addresses: { podIPs: ['10.42.0.9'], hostIPs: ['192.168.0.2'] } };
const time = async (step: string, fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  steps[step].push(performance.now() - t);
};

try {
  const pods = Array.from({ length: PODS }, (_, i) => pod(i));
  for (const p of pods)
    await time('set up + prepare', async () => {
      const vols = await setUpPodVolumes(p, ctx);
      await prepareContainer(p, p.spec.containers[0], ctx, vols);
    });
  for (const p of pods) await time('refresh (unchanged)', () => updatePodVolumes(p, ctx));
  src.addConfigMap('bench', 'cfg', data('v2'));
  for (const p of pods) await time('refresh (ConfigMap changed)', () => updatePodVolumes(p, ctx));
  for (const p of pods) await time('teardown', () => tearDownPodVolumes(root, p.metadata.uid));
  console.log(`bench/volumes: ${PODS} pods, ConfigMap of ${KEYS} keys, secret, downwardAPI, emptyDir (disk: ${tmpdir()})`);
  for (const [step, xs] of Object.entries(steps)) {
    const l = latency(xs);
    console.log(`  ${step.padEnd(28)} p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
