/**
 * A persistent allocator over a range of items (service IPs, node ports), one store key
 * per allocated item, created atomically so no item is ever handed out twice — also
 * across several API servers on one datastore. Like upstream (KEP-3070/3668), the range
 * has a lower "static" band that dynamic allocation uses only when the upper band is
 * full, so user-chosen values rarely collide with allocated ones.
 */
import { KeyExistsError, KeyNotFoundError } from '../../store/errors.js';
import type { Backend } from '../../store/types.js';

export class AllocationError extends Error {}

export interface RangeSpec {
  /** Store key prefix, ending in '/'. */
  prefix: string;
  size: number;
  /** The item at offset i of the range, as its key text. */
  item(offset: number): string;
  /** The offset of a key text, or undefined when outside the range. */
  offsetOf(item: string): number | undefined;
  /** Offsets that are never allocated (network and broadcast addresses). */
  reserved?: (offset: number) => boolean;
}

export interface Allocation {
  owner: string;
  at: string;
}

export class RangeAllocator {
  private readonly staticBand: number;

  constructor(
    private readonly backend: Backend,
    private readonly spec: RangeSpec,
  ) {
    this.staticBand = Math.min(Math.max(16, Math.floor(spec.size / 16)), 256, Math.floor(spec.size / 2));
  }

  inRange(item: string): boolean {
    const o = this.spec.offsetOf(item);
    return o !== undefined && !this.spec.reserved?.(o);
  }

  /** Reserve a chosen item; AllocationError if taken or out of range. */
  async allocate(item: string, owner: string): Promise<void> {
    if (!this.inRange(item)) throw new AllocationError('out of range');
    try {
      await this.backend.create(this.spec.prefix + item, JSON.stringify({ owner, at: new Date().toISOString() }));
    } catch (err) {
      if (err instanceof KeyExistsError) {
        // Already ours (a retried write) is fine.
        const cur = await this.backend.get(this.spec.prefix + item);
        if (cur.kv && (JSON.parse(cur.kv.value) as Allocation).owner === owner) return;
        throw new AllocationError('already allocated');
      }
      throw err;
    }
  }

  /** Reserve any free item, preferring the upper (dynamic) band. */
  async allocateNext(owner: string): Promise<string> {
    const { size } = this.spec;
    const bands: [number, number][] = [
      [this.staticBand, size],
      [0, this.staticBand],
    ];
    for (const [lo, hi] of bands) {
      // A few random probes (cheap while the range is sparse), then a scan of what is taken.
      for (let i = 0; i < 16; i++) {
        const o = lo + Math.floor(Math.random() * (hi - lo));
        if (this.spec.reserved?.(o)) continue;
        if (await this.tryCreate(o, owner)) return this.spec.item(o);
      }
      const taken = new Set((await this.list()).keys());
      const start = lo + Math.floor(Math.random() * (hi - lo));
      for (let k = 0; k < hi - lo; k++) {
        const o = lo + ((start - lo + k) % (hi - lo));
        if (this.spec.reserved?.(o) || taken.has(this.spec.item(o))) continue;
        if (await this.tryCreate(o, owner)) return this.spec.item(o);
      }
    }
    throw new AllocationError('range is full');
  }

  private async tryCreate(offset: number, owner: string): Promise<boolean> {
    try {
      await this.backend.create(this.spec.prefix + this.spec.item(offset), JSON.stringify({ owner, at: new Date().toISOString() }));
      return true;
    } catch (err) {
      if (err instanceof KeyExistsError) return false;
      throw err;
    }
  }

  /** Release an item (no error if it was not allocated). */
  async release(item: string): Promise<void> {
    try {
      await this.backend.delete(this.spec.prefix + item);
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err;
    }
  }

  /** Every allocated item with its owner. */
  async list(): Promise<Map<string, Allocation>> {
    const out = new Map<string, Allocation>();
    let startKey: string | undefined;
    for (;;) {
      const r = await this.backend.list(this.spec.prefix, { startKey, limit: 5000 });
      for (const kv of r.kvs) out.set(kv.key.slice(this.spec.prefix.length), JSON.parse(kv.value));
      if (!r.more || !r.kvs.length) return out;
      startKey = r.kvs[r.kvs.length - 1].key + '\0';
    }
  }
}
