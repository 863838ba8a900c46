/**
 * An event recorder like client-go's: writes core/v1 Events about an object
 * (`kubectl describe` and `kubectl get events` show them). As client-go's correlator:
 * repeats of the same reason+message for the same object within 10 minutes bump `count`
 * and `lastTimestamp` on the existing Event; more than 10 different messages with one
 * reason are combined into one event ("(combined from similar events): ..."); and a
 * spam filter lets each object have a burst of 25 events, then one per 5 minutes.
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

const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60 * 1000;
const AGGREGATE_AFTER = 10;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly similar = new Map<string, Set<string>>();
  constructor(
    private readonly cs: Clientset,
    private readonly component: string,
    private readonly log: Logger,
    /** source.host: the node, for kubelet events. */
    private readonly host?: string,
  ) {}

  /** Records an event; never throws (events are best effort, as upstream). */
  event(obj: any, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    void this.write(obj, type, reason, message, fieldPath).catch((err) => this.log.debug('event write failed', { reason, err }));
  }

  /** The spam filter's token bucket per involved object. */
  private allow(uid: string, now: number): boolean {
    let b = this.buckets.get(uid);
    if (!b) this.buckets.set(uid, (b = { tokens: SPAM_BURST, at: now }));
    b.tokens = Math.min(SPAM_BURST, b.tokens + Math.floor((now - b.at) / SPAM_REFILL_MS));
    if (b.tokens < SPAM_BURST) b.at = now;
    if (b.tokens <= 0) return false;
    b.tokens--;
    if (this.buckets.size > 8192) this.buckets.delete(this.buckets.keys().next().value!);
    return true;
  }

  private async write(obj: any, type: string, reason: string, msg: string, fieldPath?: string): Promise<void> {
    const ns = obj.metadata?.namespace || 'default';
    const now = new Date();
    if (!this.allow(String(obj.metadata?.uid), now.getTime())) return;
    // Aggregation: past 10 distinct messages for one reason, one combined event takes them all.
    const simKey = `${obj.metadata?.uid}/${fieldPath ?? ''}/${type}/${reason}`;
    let msgs = this.similar.get(simKey);
    if (!msgs) this.similar.set(simKey, (msgs = new Set()));
    msgs.add(msg);
    if (this.similar.size > 8192) this.similar.delete(this.similar.keys().next().value!);
    const message = msgs.size > AGGREGATE_AFTER ? `(combined from similar events): ${msg}` : msg;
    const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const key = msgs.size > AGGREGATE_AFTER ? `${simKey}/combined` : `${simKey}/${message}`;
    const events = this.cs.resource('events');
    const prev = this.seen.get(key);
    if (prev && now.getTime() - prev.at < 10 * 60 * 1000) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await events.patch(prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: ts, message });
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
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
      firstTimestamp: ts,
      lastTimestamp: ts,
      eventTime: null,
      count: 1,
    });
    this.seen.set(key, { name, namespace: ns, count: 1, at: now.getTime(), firstTimestamp: ts });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
  }
}
