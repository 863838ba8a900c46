/**
 * An event recorder like client-go's: writes core/v1 Events about an object
 * (`kubectl describe` and `kubectl get events` show them). Repeats of the same
 * reason+message for the same object within 10 minutes bump `count` and
 * `lastTimestamp` on the existing Event instead of creating a new one.
 */
import { randomBytes } from 'node:crypto';
import type { Clientset } from '../../client/clientset.js';
import type { Logger } from '../../util/log.js';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
  firstTimestamp: string;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  constructor(
    private readonly cs: Clientset,
    private readonly component: string,
    private readonly log: Logger,
  ) {}

  /** Records an event; never throws (events are best effort, as upstream). */
  event(obj: any, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.write(obj, type, reason, message).catch((err) => this.log.debug('event write failed', { reason, err }));
  }

  private async write(obj: any, type: string, reason: string, message: string): Promise<void> {
    const ns = obj.metadata?.namespace || 'default';
    const now = new Date();
    const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const key = `${obj.metadata?.uid}/${type}/${reason}/${message}`;
    const events = this.cs.resource('events');
    const prev = this.seen.get(key);
    if (prev && now.getTime() - prev.at < 10 * 60 * 1000) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await events.patch(prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: ts });
        return;
      } catch {
        // fall through: create a fresh event
      }
    }
    const name = `${obj.metadata?.name}.${randomBytes(8).toString('hex')}`;
    await events.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata?.name,
        namespace: obj.metadata?.namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: '',
      firstTimestamp: ts,
      lastTimestamp: ts,
      eventTime: null,
      count: 1,
    });
    this.seen.set(key, { name, namespace: ns, count: 1, at: now.getTime(), firstTimestamp: ts });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
  }
}
