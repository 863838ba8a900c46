/**
 * The CronJob controller's wiring: a CronJob is synced when it or one of its Jobs
 * changes, and again just after its next schedule time (the sync asks for that wake-up).
 */
import { runWorkers } from '../../client/controller.js';
import { isNotFound } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../common/events.js';
import { ownerKeyHandlers } from '../common/owner-events.js';
import { controllerRef } from '../common/pods.js';
import { JOBS } from '../job/controller.js';
import type { ControllerContext } from '../replicaset/controller.js';
import { syncCronJob } from './sync.js';

export const CRONJOBS = { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true };

export class CronJobController {
  static readonly NAME = 'cronjob-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 60_000 });

  constructor(private readonly ctx: ControllerContext) {
    const cjInf = ctx.informers.informer(CRONJOBS);
    cjInf.addHandlers(ownerKeyHandlers(this.queue));
    const jobEvent = (j: any) => {
      const ref = controllerRef(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    ctx.informers.informer(JOBS).addHandlers({ onAdd: jobEvent, onUpdate: (_o, j) => jobEvent(j), onDelete: jobEvent });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { cs, informers, log } = this.ctx;
    const recorder = new EventRecorder(cs, CronJobController.NAME, log);
    const [cjInf, jobInf] = [informers.informer(CRONJOBS), informers.informer(JOBS)];
    await Promise.all([cjInf.waitForSync(signal), jobInf.waitForSync(signal)]);
    const jobs = cs.resource(JOBS);
    const deps = {
      jobs,
      cronjobs: cs.resource(CRONJOBS),
      listJobs: (ns: string) => jobInf.cache.list(ns),
      getJob: (ns: string, name: string) => jobs.get(ns, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))),
      recorder,
      now: this.ctx.now ?? Date.now,
    };
    await runWorkers({ name: CronJobController.NAME, queue: this.queue, workers: 2, log, signal, sync: (key) => syncCronJob(deps, cjInf.cache.get(key)) });
  }
}
