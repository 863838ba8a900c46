/**
 * containerd's event stream, as a wake-up call: the CRI in containerd 1.6 has no
 * container events, but containerd itself publishes /tasks/exit the moment a process
 * ends. The runtime subscribes (namespace k8s.io) and re-lists containers at once, so a
 * container's exit reaches the agent in milliseconds instead of at the next poll.
 * The stream is re-opened after errors until closed.
 */
import * as grpc from '@grpc/grpc-js';
import { protoFile } from './client.js';
import { decode, encode } from './proto-codec.js';

export interface EventSubscription {
  close(): void;
}

/** Calls onTopic(topic) for every task event in the namespace; re-subscribes after errors. */
export function subscribeTaskEvents(o: { endpoint: string; namespace: string; topics: string[]; onTopic: (topic: string) => void; onError?: (err: Error) => void }): EventSubscription {
  const file = protoFile('events.proto');
  const target = o.endpoint.startsWith('unix:') ? o.endpoint : `unix://${o.endpoint}`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  let closed = false;
  let call: grpc.ClientReadableStream<any> | undefined;
  let retry: NodeJS.Timeout | undefined;
  const filters = o.topics.map((t) => `namespace==${o.namespace},topic==${JSON.stringify(t)}`);
  const open = () => {
    if (closed) return;
    call = client.makeServerStreamRequest(
      `/${file.pkg}.Events/Subscribe`,
      (req: unknown) => encode(file, 'SubscribeRequest', req),
      (buf: Buffer) => decode(file, 'Envelope', buf),
      { filters },
    );
    call!.on('data', (e: any) => o.onTopic(e.topic));
    call!.on('error', (err: any) => {
      if (closed || err?.code === grpc.status.CANCELLED) return;
      o.onError?.(err);
      retry = setTimeout(open, 1000);
    });
    call!.on('end', () => {
      if (!closed && !retry) retry = setTimeout(open, 1000);
    });
  };
  open();
  return {
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      call?.cancel();
      client.close();
    },
  };
}
