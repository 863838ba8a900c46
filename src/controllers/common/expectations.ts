/**
 * Controller expectations (pkg/controller's ControllerExpectations): after a controller
 * asks for N creates / deletes it waits until its informer has seen them before it
 * trusts the cache again, so a burst of events never makes it over-create. Expectations
 * expire after 5 minutes in case a watch event was lost.
 */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** Keys of pods whose deletion is awaited (UID tracking, as upstream). */
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private readonly m = new Map<string, Expectation>();
  constructor(private readonly now: () => number = Date.now) {}

  satisfied(key: string): boolean {
    const e = this.m.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, n: number): void {
    this.m.set(key, { add: n, del: 0, deleting: new Set(), at: this.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.m.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), at: this.now() });
  }

  /** Creates and deletes asked for in one sync (DaemonSets do both at once). */
  expect(key: string, adds: number, podKeys: string[]): void {
    this.m.set(key, { add: adds, del: podKeys.length, deleting: new Set(podKeys), at: this.now() });
  }

  /** Adds to what is already awaited (several creates or deletes issued one by one in a sync). */
  raise(key: string, adds: number, podKeys: string[]): void {
    const e = this.m.get(key);
    if (!e || (e.add <= 0 && e.del <= 0)) return this.expect(key, adds, podKeys);
    e.add += adds;
    for (const k of podKeys) if (!e.deleting.has(k)) (e.deleting.add(k), e.del++);
    e.at = this.now();
  }

  creationObserved(key: string): void {
    const e = this.m.get(key);
    if (e) e.add--;
  }

  /** A create that failed will never be observed. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionObserved(key: string, podKey: string): void {
    const e = this.m.get(key);
    if (e && e.deleting.delete(podKey)) e.del--;
  }

  delete(key: string): void {
    this.m.delete(key);
  }
}
