/**
 * The producer's composition root: which feature enqueues each verb beyond `check` and
 * `logs`. src/queue knows only job names and queues; the features (watch, sweep, incidents,
 * runbooks) are wired here, so imports run one way: compose → features → queue. The
 * workers' side is ./workers.ts.
 */
import { enqueueIncidentOrRunbook } from '../incidents/enqueue.js';
import { createQueueProducer, type Producer, type ProducerOptions, type VerbEnqueuers } from '../queue/enqueue.js';
import { enqueueSweep } from '../sweep/enqueue.js';
import { enqueueWatch } from '../watch/enqueue.js';

export type { EnqueueContext, EnqueueResult, Producer, ProducerOptions } from '../queue/enqueue.js';

/** The verbs whose enqueue lives with their feature. */
const ENQUEUERS: VerbEnqueuers = {
  watch: enqueueWatch,
  sweep: enqueueSweep,
  incident: enqueueIncidentOrRunbook,
  runbook: enqueueIncidentOrRunbook,
};

/** Creates podnet's producer (src/queue/enqueue.ts) with every verb's enqueuer. */
export function createProducer(options: ProducerOptions): Producer {
  return createQueueProducer({ ...options, enqueuers: ENQUEUERS });
}
