/**
 * One etcd watch (a Watch gRPC stream of its own) that survives the loss of the member
 * it is on: when the stream breaks (member killed, member cut off from its leader — the
 * stream carries "hasleader" — or a transport error), it is reopened on the next member
 * from the revision after the last one delivered, so the caller sees every event once,
 * in order, with no gap. Established means etcd answered `created`. A watch etcd cancels
 * because its start revision has been compacted ends with CompactedError; one etcd
 * cancels for another reason, or that cannot be re-established in time, ends with that
 * error. Progress notifications are asked for; every answer's header revision is
 * reported as progress.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { CompactedError } from './errors.js';
import { EtcdClient, WATCH_METHOD, isRetryable } from './etcd-client.js';
import { decodeWatch, encodeWatchCreate, type WatchEvent, type WatchResponse } from './etcd-proto.js';

export interface EtcdWatchOptions {
  key: string;
  rangeEnd: Buffer;
  /** Deliver events with revision > afterRevision. */
  afterRevision: number;
  signal: AbortSignal;
  /** How long a (re)connection may keep failing before the watch gives up. */
  reconnectForMs: number;
  onEvents(events: WatchEvent[], headerRevision: number): void;
  onProgress(revision: number): void;
  /** Called once when the watch ends for any reason but the signal. */
  onError(err: Error): void;
}

const BACKOFF_MS = [50, 100, 200, 400, 800, 1000];

export class EtcdWatch {
  /** The next revision wanted from etcd. */
  private next: number;
  private stream?: ClientDuplexStream<Buffer, Buffer>;
  private ended = false;
  private established?: { resolve(): void; reject(err: Error): void };
  private failingSince = 0;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: EtcdClient,
    private readonly o: EtcdWatchOptions,
  ) {
    this.next = o.afterRevision + 1;
  }

  /** Resolves once etcd has created the watch (events after afterRevision will all come). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.established = { resolve, reject };
      this.o.signal.addEventListener('abort', () => this.stop(), { once: true });
      if (this.o.signal.aborted) return this.stop();
      this.failingSince = Date.now();
      this.open();
    });
  }

  private open(): void {
    if (this.ended) return;
    let opened: ReturnType<EtcdClient['openStream']>;
    try {
      opened = this.client.openStream(WATCH_METHOD);
    } catch (err) {
      return this.end(err as Error); // the client was closed
    }
    const { stream, failed } = opened;
    this.stream = stream;
    let broken = false;
    const retry = (err: unknown) => {
      if (broken || this.stream !== stream) return;
      broken = true;
      stream.removeAllListeners('data');
      stream.on('error', () => {});
      stream.cancel();
      if (this.ended) return;
      if (!isRetryable(err) && !/no leader|leader changed/i.test(String((err as Error)?.message))) return this.end(err as Error);
      failed();
      this.failingSince ||= Date.now();
      if (Date.now() - this.failingSince > this.o.reconnectForMs) return this.end(err as Error);
      const wait = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)];
      this.retryTimer = setTimeout(() => this.open(), wait);
    };
    stream.on('data', (buf: Buffer) => {
      if (this.ended || broken) return;
      let res: WatchResponse;
      try {
        res = decodeWatch(buf);
      } catch (err) {
        return this.end(err as Error);
      }
      this.onResponse(res, retry);
    });
    stream.on('error', retry);
    stream.on('end', () => retry(Object.assign(new Error('etcd ended the watch stream'), { code: 14 })));
    stream.write(encodeWatchCreate({ key: this.o.key, rangeEnd: this.o.rangeEnd, startRevision: this.next, progressNotify: true, prevKv: true }).finish());
  }

  private onResponse(res: WatchResponse, retry: (err: unknown) => void): void {
    if (res.canceled) {
      if (res.compactRevision > 0) return this.end(new CompactedError(this.next - 1, res.compactRevision));
      return retry(Object.assign(new Error(`etcd canceled the watch: ${res.cancelReason || 'no reason given'}`), { code: /leader/i.test(res.cancelReason) ? 14 : 2 }));
    }
    if (res.compactRevision > 0) return this.end(new CompactedError(this.next - 1, res.compactRevision));
    if (res.created) {
      this.failingSince = 0;
      this.attempt = 0;
      this.established?.resolve();
      this.established = undefined;
    }
    if (res.events.length) {
      this.next = res.events[res.events.length - 1].kv.modRevision + 1;
      this.o.onEvents(res.events, res.revision);
    } else if (!res.created && res.revision >= this.next) {
      // A progress notification: everything up to its revision has been sent.
      this.next = res.revision + 1;
    }
    if (!this.ended) this.o.onProgress(res.revision);
  }

  private end(err: Error): void {
    if (this.ended) return;
    this.close();
    if (this.established) {
      this.established.reject(err);
      this.established = undefined;
    } else this.o.onError(err);
  }

  /** Ends the watch without reporting an error (its signal, or the backend closing). */
  stop(): void {
    if (this.ended) return;
    this.close();
    this.established?.resolve();
    this.established = undefined;
  }

  private close(): void {
    this.ended = true;
    clearTimeout(this.retryTimer);
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.removeAllListeners('data');
      s.on('error', () => {});
      s.cancel();
    }
  }
}
