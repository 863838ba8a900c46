export { ProbeManager, realClock, type Clock, type PodProbeView, type ProbeManagerOptions } from './manager.js';
export { ProbeWorker, type ContainerView } from './worker.js';
export { runProbe } from './handler.js';
export { probeHttp } from './http.js';
export { probeTcp } from './tcp.js';
export { probeGrpc } from './grpc.js';
export { probeExec } from './exec.js';
export { resolvePort } from './ports.js';
export type { ProbeOutcome, ProbeResult, ProbeType, HandlerTarget } from './types.js';
