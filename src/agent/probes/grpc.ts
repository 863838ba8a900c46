/**
 * grpc probes: grpc.health.v1.Health/Check over plaintext HTTP/2 to podIP:port, with the
 * probe's optional service name, as the kubelet's gRPC prober. SERVING is success;
 * another status, an RPC error or a connect timeout is a failure with upstream's text.
 * The two tiny messages are encoded by hand (no .proto files needed):
 *   HealthCheckRequest  { string service = 1; }  // always written, even when empty
 *   HealthCheckResponse { ServingStatus status = 1; }  // 0 UNKNOWN 1 SERVING 2 NOT_SERVING 3 SERVICE_UNKNOWN
 */
import { Client, Metadata, credentials, status as Code } from '@grpc/grpc-js';
import { KUBE_MINOR } from '../../apiserver/version.js';
import { goDuration } from '../backoff.js';
import { joinHostPort } from './ports.js';
import type { ProbeOutcome } from './types.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  // An empty service is still written (0a 00): some servers reject a zero-length message.
  const len: number[] = [];
  for (let n = s.length; ; ) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}

/** The status field of a HealthCheckResponse (0 when absent, as proto3 defaults). */
export function decodeHealthCheckResponse(b: Buffer): number {
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; i < b.length; shift += 7) {
      const byte = b[i++];
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    return v;
  };
  while (i < b.length) {
    const tag = varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) return v;
    } else if (wire === 2) i += varint();
    else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else break;
  }
  return 0;
}

/** Go's codes.Code names: DEADLINE_EXCEEDED → DeadlineExceeded. */
const goCodeName = (c: number) => String(Code[c] ?? c).toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, ch: string) => ch.toUpperCase()).replace('Ok', 'OK');

export async function probeGrpc(host: string, port: number, service: string | undefined, timeoutSeconds: number): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const within = goDuration(timeoutSeconds);
  const client = new Client(addr, credentials.createInsecure(), { 'grpc.primary_user_agent': `kube-probe/1.${KUBE_MINOR}` });
  try {
    const deadline = Date.now() + timeoutSeconds * 1000;
    const connected = await new Promise<boolean>((resolve) => client.waitForReady(deadline, (err) => resolve(!err)));
    if (!connected) return { result: 'failure', output: `timeout: failed to connect service "${addr}" within ${within}` };
    return await new Promise<ProbeOutcome>((resolve) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (s: string) => encodeHealthCheckRequest(s),
        (b: Buffer) => decodeHealthCheckResponse(b),
        service ?? '',
        new Metadata(),
        { deadline },
        (err, st) => {
          if (err) {
            if (err.code === Code.UNIMPLEMENTED) return resolve({ result: 'failure', output: `this server doesn't implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` });
            if (err.code === Code.DEADLINE_EXCEEDED) return resolve({ result: 'failure', output: `timeout: health rpc did not complete within ${within}` });
            return resolve({ result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${goCodeName(err.code)} desc = ${err.details}` });
          }
          if (st !== 1) return resolve({ result: 'failure', output: `service unhealthy (responded with "${SERVING_STATUS[st ?? 0] ?? st}")` });
          resolve({ result: 'success', output: '' });
        },
      );
    });
  } finally {
    client.close();
  }
}
