/**
 * Runs one probe attempt against a container: dispatches on the handler kind (exec,
 * httpGet, tcpSocket, grpc) and resolves ports and hosts as upstream's prober does.
 */
import { probeExec } from './exec.js';
import { probeGrpc } from './grpc.js';
import { probeHttp } from './http.js';
import { resolvePort } from './ports.js';
import { probeTcp } from './tcp.js';
import type { HandlerTarget, ProbeOutcome } from './types.js';

const SIMULATED: ProbeOutcome = { result: 'success', output: '' };

export async function runProbe(probe: any, t: HandlerTarget): Promise<ProbeOutcome> {
  const timeout = probe.timeoutSeconds || 1;
  try {
    if (probe.exec) return await probeExec(t.runtime, t.containerId, probe.exec.command ?? [], timeout);
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port, t.container);
      if (!t.network) return SIMULATED;
      return await probeHttp({ ...probe.httpGet, host: probe.httpGet.host || t.podIP, port }, timeout);
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, t.container);
      if (!t.network) return SIMULATED;
      return await probeTcp(probe.tcpSocket.host || t.podIP, port, timeout);
    }
    if (probe.grpc) {
      const port = resolvePort(probe.grpc.port, t.container);
      if (!t.network) return SIMULATED;
      return await probeGrpc(t.podIP, port, probe.grpc.service, timeout);
    }
  } catch (err) {
    return { result: 'unknown', output: (err as Error).message };
  }
  return { result: 'unknown', output: 'missing probe handler' };
}
