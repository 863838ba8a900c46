/**
 * Leader election over a coordination.k8s.io Lease, as client-go's leaderelection:
 * a candidate acquires the lease when it is free or expired (renewTime + duration in the
 * past), renews it every retryPeriod, and gives up leadership — stopping its work at
 * once — if it cannot renew within renewDeadline. Defaults are Kubernetes': lease 15 s,
 * renew deadline 10 s, retry 2 s.
 *
 * A candidate facing a live holder retries every retryPeriod, like client-go, but when the
 * holder's lease will run out before the next retry it wakes just after the expiry
 * instead: a dead leader is replaced within one lease duration of its last renewal (so
 * within one lease duration of its death), not up to a retry period later.
 */
import { setMaxListeners } from 'node:events';
import type { Clientset } from './clientset.js';
import { isAlreadyExists, isConflict, isNotFound } from './rest.js';
import { sleep } from './informer.js';
import type { Logger } from '../util/log.js';

export interface LeaderElectionOptions {
  cs: Clientset;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  now?: () => number;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export class LeaderElector {
  private readonly lease: number;
  private readonly deadline: number;
  private readonly retry: number;
  private readonly now: () => number;
  private leading = false;
  /** When the other holder's lease runs out, as last observed (0: unknown or free). */
  private othersExpiry = 0;

  constructor(private readonly o: LeaderElectionOptions) {
    this.lease = o.leaseDurationMs ?? 15_000;
    this.deadline = o.renewDeadlineMs ?? 10_000;
    this.retry = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** One attempt to acquire or renew; true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const leases = this.o.cs.resource('leases');
    const now = this.now();
    const spec = (transitions: number, acquire: string) => ({
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.round(this.lease / 1000),
      acquireTime: acquire,
      renewTime: microTime(now),
      leaseTransitions: transitions,
    });
    let cur: any;
    try {
      cur = await leases.get(this.o.namespace, this.o.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec: spec(0, microTime(now)) });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const s = cur.spec ?? {};
    const holder = s.holderIdentity;
    const renewed = s.renewTime ? Date.parse(s.renewTime) : 0;
    const expiry = renewed + (s.leaseDurationSeconds ?? 15) * 1000;
    const expired = expiry < now;
    if (holder && holder !== this.o.identity && !expired) {
      this.othersExpiry = expiry;
      return false;
    }
    this.othersExpiry = 0;
    const mine = holder === this.o.identity;
    try {
      await leases.update({ ...cur, spec: spec((s.leaseTransitions ?? 0) + (mine ? 0 : 1), mine && s.acquireTime ? s.acquireTime : microTime(now)) });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** How long a candidate that was refused waits before the next attempt. */
  nextAttemptDelay(): number {
    if (!this.othersExpiry) return this.retry;
    const untilExpiry = this.othersExpiry - this.now() + 25;
    return Math.max(25, Math.min(this.retry, untilExpiry));
  }

  /**
   * Campaigns until elected, then runs `lead` with a signal that aborts when leadership
   * is lost (or the outer signal aborts). Returns when the outer signal aborts; if
   * leadership is lost it campaigns again.
   */
  async run(signal: AbortSignal, lead: (leaderSignal: AbortSignal) => Promise<unknown>): Promise<void> {
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.othersExpiry = 0; // unknown: back to the plain retry period
        this.o.log.debug('lease attempt failed', { lease: this.o.name, err });
      }
      if (!ok) {
        await sleep(this.nextAttemptDelay(), signal);
        continue;
      }
      this.leading = true;
      this.o.log.info('became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
      const ac = new AbortController();
      // Every informer, worker and sleeper of the leader's components listens on this signal.
      setMaxListeners(0, ac.signal);
      const onOuter = () => ac.abort();
      signal.addEventListener('abort', onOuter, { once: true });
      const work = lead(ac.signal).catch((err) => this.o.log.error('leader work failed', { err }));
      let lastRenew = this.now();
      while (!ac.signal.aborted) {
        await sleep(this.retry, ac.signal);
        if (ac.signal.aborted) break;
        try {
          if (await this.tryAcquireOrRenew()) lastRenew = this.now();
          else {
            this.o.log.warn('leadership lost: the lease is held by another', { lease: this.o.name });
            ac.abort();
            break;
          }
        } catch {
          // an unreachable server counts against the renew deadline below
        }
        if (this.now() - lastRenew > this.deadline) {
          this.o.log.warn('leadership lost: could not renew the lease in time', { lease: this.o.name });
          ac.abort();
        }
      }
      this.leading = false;
      signal.removeEventListener('abort', onOuter);
      await work;
    }
  }
}
