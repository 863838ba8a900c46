/**
 * bench/probes — what probing costs the agent: N running simulated containers, each with
 * an exec liveness and readiness probe every second (the probe manager and workers the
 * agent uses, on the simulated runtime), for a bounded time. Prints probes/s, CPU per
 * probe and the worst timer lag seen.
 *
 *   node dist/bench/probes.js [--containers 1000] [--seconds 10]
 */
import { ProbeManager } from '../src/agent/probes/index.js';
import { SimulatedRuntime } from '../src/agent/runtime/simulated.js';

const args = process.argv.slice(2);
const arg = (f: string, d: string) => {
  const i = args.indexOf(f);
  return i >= 0 ? Number(args[i + 1]) : Number(d);
};
const containers = Math.min(10_000, arg('--containers', '1000'));
const seconds = Math.min(60, arg('--seconds', '10'));

async function main() {
  const rt = new SimulatedRuntime({ podCidr: '10.42.0.0/16' });
  let probes = 0;
  const exec = rt.execSync.bind(rt);
  rt.execSync = async (id, cmd, t) => {
    probes++;
    return exec(id, cmd, t);
  };
  const m = new ProbeManager({ runtime: rt, network: false, onChange: () => {}, event: () => {} });
  for (let i = 0; i < containers; i++) {
    const sb = await rt.runPodSandbox({ podUid: `u${i}`, namespace: 'bench', name: `p${i}`, hostNetwork: false });
    const id = await rt.createContainer(sb.id, { name: 'app', image: 'busybox', command: ['sh', '-c', 'touch /tmp/healthy; sleep inf'], podAnnotations: {} });
    await rt.startContainer(id);
    const st = (await rt.containerStatus(id))!;
    const probe = { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1 };
    const pod = { metadata: { name: `p${i}`, namespace: 'bench' }, spec: { containers: [{ name: 'app', livenessProbe: probe, readinessProbe: probe }] } };
    m.sync(`bench/p${i}`, { pod, podIP: sb.ip, container: () => ({ id, running: true, terminated: false, startedAt: st.startedAt!.getTime() }) });
  }
  let lag = 0;
  let last = Date.now();
  const lagTimer = setInterval(() => {
    const now = Date.now();
    lag = Math.max(lag, now - last - 100);
    last = now;
  }, 100);
  const cpu0 = process.cpuUsage();
  const p0 = probes;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const n = probes - p0;
  clearInterval(lagTimer);
  for (let i = 0; i < containers; i++) m.remove(`bench/p${i}`);
  await rt.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`containers=${containers} probes=${n} (${(n / seconds).toFixed(0)}/s, expected ${containers * 2}/s) cpu=${((cpuMs / (seconds * 1000)) * 100).toFixed(1)}% of a core, ${((cpuMs * 1000) / Math.max(1, n)).toFixed(1)} µs/probe, worst timer lag ${lag} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}

void main();
