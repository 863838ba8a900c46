/**
 * The scheduling queue (kube-scheduler's PriorityQueue): activeQ ordered by priority then
 * arrival; backoffQ for pods that failed, each waiting 1 s doubling to 10 s per attempt;
 * unschedulable pods parked until a cluster event that could help them (node added or
 * changed, a pod deleted) moves them back, or 5 minutes pass. A move that happens while
 * a pod is in its scheduling cycle sends that pod to backoff instead of parking it, so
 * no event is missed.
 */

export interface QueuedPod {
  key: string;
  pod: any;
  attempts: number;
  timestamp: number;
  backoffUntil?: number;
}

export const INITIAL_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 10_000;
export const MAX_UNSCHEDULABLE_MS = 5 * 60 * 1000;

const prio = (q: QueuedPod) => q.pod.spec?.priority ?? 0;

export class SchedulingQueue {
  private heap: QueuedPod[] = [];
  private readonly inActive = new Map<string, QueuedPod>();
  private readonly backoff = new Map<string, QueuedPod>();
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly inFlight = new Map<string, QueuedPod>();
  private waiters: ((q: QueuedPod | undefined) => void)[] = [];
  private closed = false;
  private moveCycle = 0;
  private schedulingCycle = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.flush(), 200);
    this.timer.unref?.();
  }

  get pendingCount(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.inActive.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  private less(a: QueuedPod, b: QueuedPod): boolean {
    const pa = prio(a),
      pb = prio(b);
    return pa !== pb ? pa > pb : a.timestamp < b.timestamp;
  }

  private push(q: QueuedPod): void {
    const w = this.waiters.shift();
    if (w) {
      this.inFlight.set(q.key, q);
      this.schedulingCycle++;
      (q as any).cycle = this.schedulingCycle;
      return w(q);
    }
    this.inActive.set(q.key, q);
    const h = this.heap;
    h.push(q);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private popHeap(): QueuedPod | undefined {
    const h = this.heap;
    while (h.length) {
      const top = h[0];
      const last = h.pop()!;
      if (h.length) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1,
            r = l + 1;
          let m = i;
          if (l < h.length && this.less(h[l], h[m])) m = l;
          if (r < h.length && this.less(h[r], h[m])) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m], h[i]];
          i = m;
        }
      }
      // Entries removed or replaced meanwhile are skipped.
      if (this.inActive.get(top.key) === top) {
        this.inActive.delete(top.key);
        return top;
      }
    }
    return undefined;
  }

  /** A new unscheduled pod, or an update to one. */
  add(key: string, pod: any): void {
    if (this.closed) return;
    const existing = this.inActive.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key) ?? this.inFlight.get(key);
    if (existing) {
      existing.pod = pod;
      // An update to a parked pod may make it schedulable: retry it.
      if (this.unschedulable.delete(key)) this.toBackoffOrActive(existing);
      return;
    }
    this.push({ key, pod, attempts: 0, timestamp: this.now() });
  }

  delete(key: string): void {
    this.inActive.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
  }

  pop(): Promise<QueuedPod | undefined> {
    const q = this.popHeap();
    if (q) {
      this.inFlight.set(q.key, q);
      this.schedulingCycle++;
      (q as any).cycle = this.schedulingCycle;
      return Promise.resolve(q);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiters.push(r));
  }

  /** The cycle for a pod ended in success: it leaves the queue. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** The pod could not be scheduled (or binding failed: `backoffOnly`). */
  requeue(q: QueuedPod, opts: { unschedulable: boolean }): void {
    this.inFlight.delete(q.key);
    if (this.closed) return;
    q.attempts++;
    q.timestamp = this.now();
    const movedDuringCycle = this.moveCycle >= ((q as any).cycle ?? 0);
    if (opts.unschedulable && !movedDuringCycle) this.unschedulable.set(q.key, q);
    else this.toBackoffOrActive(q);
  }

  private toBackoffOrActive(q: QueuedPod): void {
    const delay = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, q.attempts - 1));
    q.backoffUntil = q.timestamp + delay;
    if (q.attempts === 0 || q.backoffUntil <= this.now()) this.push(q);
    else this.backoff.set(q.key, q);
  }

  /** A cluster event that may make parked pods schedulable. */
  moveAllToActiveOrBackoff(): void {
    this.moveCycle = this.schedulingCycle;
    for (const [k, q] of this.unschedulable) {
      this.unschedulable.delete(k);
      this.toBackoffOrActive(q);
    }
  }

  private flush(): void {
    const now = this.now();
    for (const [k, q] of this.backoff) {
      if ((q.backoffUntil ?? 0) <= now) {
        this.backoff.delete(k);
        this.push(q);
      }
    }
    for (const [k, q] of this.unschedulable) {
      if (now - q.timestamp >= MAX_UNSCHEDULABLE_MS) {
        this.unschedulable.delete(k);
        this.toBackoffOrActive(q);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }
}
