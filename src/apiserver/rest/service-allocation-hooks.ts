/** The Service write path's allocation steps: reserve ClusterIP/NodePorts around a write, release them when a Service goes. */
import { isDryRun, type RequestContext } from './context.js';

const isService = (ctx: RequestContext) => ctx.def.group === '' && ctx.def.plural === 'services';

/** Runs `write` with the Service's allocations reserved; undone if the write fails. */
export async function withServiceAllocation<T>(ctx: RequestContext, obj: any, old: any | undefined, write: () => Promise<T>, subresource?: string): Promise<T> {
  const a = ctx.serviceAllocation;
  if (!a || !isService(ctx) || subresource) return write();
  const txn = await a.allocate(obj, old, isDryRun(ctx.query));
  let r: T;
  try {
    r = await write();
  } catch (err) {
    await txn.rollback();
    throw err;
  }
  await txn.commit();
  return r;
}

/** A Service was deleted from the store: its ClusterIP and node ports are free again. */
export async function releaseServiceAllocation(ctx: RequestContext, svc: any): Promise<void> {
  if (ctx.serviceAllocation && isService(ctx) && !isDryRun(ctx.query)) await ctx.serviceAllocation.release(svc);
}
