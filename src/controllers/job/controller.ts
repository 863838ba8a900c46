/**
 * The Job controller's wiring, and ttlSecondsAfterFinished (upstream's separate TTL
 * controller, folded in here): a finished Job whose TTL has passed is deleted with
 * Background propagation, taking its pods with it.
 */
import { runWorkers } from '../../client/controller.js';
import { isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { ownerKeyHandlers } from '../common/owner-events.js';
import { controllerRef } from '../common/pods.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncJob } from './sync.js';

export const JOBS = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };

function finishedAt(job: any): number | undefined {
  const c = (job.status?.conditions ?? []).find((x: any) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c ? Date.parse(c.lastTransitionTime ?? job.status?.completionTime) : undefined;
}

export class JobController {
  static readonly NAME = 'job-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 60_000 });

  constructor(private readonly ctx: ControllerContext) {
    const jobInf = ctx.informers.informer(JOBS);
    jobInf.addHandlers(ownerKeyHandlers(this.queue));
    const podEvent = (p: any) => {
      const ref = controllerRef(p);
      if (ref?.kind === 'Job') this.queue.add(`${p.metadata.namespace}/${ref.name}`);
    };
    ctx.informers.informer('pods').addHandlers({ onAdd: podEvent, onUpdate: (_o, p) => podEvent(p), onDelete: podEvent });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const now = this.ctx.now ?? Date.now;
    const recorder = new EventRecorder(cs, JobController.NAME, log);
    const [jobInf, podInf] = [informers.informer(JOBS), informers.informer('pods')];
    await Promise.all([jobInf.waitForSync(signal), podInf.waitForSync(signal)]);
    const jobs = cs.resource(JOBS);
    await runWorkers({
      name: JobController.NAME,
      queue: this.queue,
      workers: 4,
      log,
      signal,
      sync: async (key) => {
        const job = jobInf.cache.get(key);
        const r = await syncJob({ pods: cs.resource('pods'), jobs, listPods: (ns) => podInf.cache.list(ns), recorder, now }, job);
        const ttl = job?.spec?.ttlSecondsAfterFinished;
        const fin = job && finishedAt(job);
        if (job && ttl !== undefined && fin !== undefined && !job.metadata.deletionTimestamp) {
          const left = fin + ttl * 1000 - now();
          if (left <= 0) {
            await jobs.delete(job.metadata.namespace, job.metadata.name, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
            return;
          }
          return { requeueAfterMs: Math.min(left, r?.requeueAfterMs ?? left) };
        }
        return r;
      },
    });
  }
}
