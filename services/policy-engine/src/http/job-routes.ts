/** The jobs API: submit a manual job, list jobs across the hosts' queues, read one, cancel one still queued. */
import { z } from 'zod';
import { jobRequestSchema, parseJobRequest } from '@ballast/domain';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import { jobJson } from './api-views.js';
import { defineRoute, type Route } from './route-table.js';

const LIST_MAX = 1000;
const limitWhy = `must be an integer from 1 to ${LIST_MAX}`;

/** The filters of a job list (HTTP query and gRPC ListJobs alike). */
export const jobListQuery = z.object({
  vm: z.string().min(1).optional().describe('Only the jobs of this VM (its name or UUID).'),
  host: z.string().min(1).optional().describe("Only the jobs on this host's queue."),
  state: z.enum(['queued', 'active', 'succeeded', 'failed'], { error: 'must be one of queued, active, succeeded, failed' }).optional(),
  source: z.enum(['manual', 'policy'], { error: 'must be manual or policy' }).optional().describe('manual: made over the API; policy: planned by a policy.'),
  limit: z.coerce.number({ error: limitWhy }).int(limitWhy).min(1, limitWhy).max(LIST_MAX, limitWhy).default(100).describe('At most this many jobs.'),
});
export type JobListQuery = z.output<typeof jobListQuery>;

const idParams = z.object({ id: z.string().min(1).describe('The job id (a UUID).') });

/** Reads a job list with the service: the query's filters as the queue names them. */
export function listJobs(jobs: JobService, q: JobListQuery) {
  const { host, limit, ...rest } = q;
  return jobs.list({ ...rest, ...(host !== undefined ? { hostId: host } : {}) }, limit);
}

function parseJobBody(raw: unknown) {
  try {
    return parseJobRequest(raw);
  } catch (e) {
    throw toApiError(e);
  }
}

export function jobRoutes(jobs: JobService): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/jobs', operationId: 'submitJob', tag: 'jobs', role: 'operator',
      summary: "A manual job on the target's host queue; it holds that VM's (or host's) resource against policies for a while",
      body: jobRequestSchema(),
      parseBody: parseJobBody,
      responses: { 202: '`{id, state: "queued", holdUntil}`; Location: /v1/jobs/{id}', 404: 'No host reports the VM or host', 409: 'Two hosts report that VM name', 422: 'Valid but not possible here (e.g. a pCPU the host lacks)' },
      handle: async ({ body }, res) => {
        const { id, holdUntilMs } = await jobs.submit(body);
        res.status(202).location(`/v1/jobs/${id}`).json({ id, state: 'queued', holdUntil: new Date(holdUntilMs).toISOString() });
      },
    }),
    defineRoute({
      method: 'get', path: '/jobs', operationId: 'listJobs', tag: 'jobs', summary: "Jobs across the hosts' queues, newest first",
      query: jobListQuery,
      responses: { 200: '`{jobs: [...]}`, each as GET /v1/jobs/{id} shows it' },
      handle: async ({ query }, res) => res.json({ jobs: (await listJobs(jobs, query)).map(jobJson) }),
    }),
    defineRoute({
      method: 'get', path: '/jobs/:id', operationId: 'getJob', tag: 'jobs', summary: 'A job: its state, parameters and outcome',
      params: idParams,
      responses: { 200: '`{id, state: queued|active|succeeded|failed, type, params, result?, error?, attempts, ...}`', 404: 'No such job' },
      handle: async ({ params }, res) => {
        const s = await jobs.status(params.id);
        if (!s) throw new ApiError(404, 'job_not_found', `id: no job "${params.id}"`, 'id');
        res.json(jobJson(s));
      },
    }),
    defineRoute({
      method: 'delete', path: '/jobs/:id', operationId: 'cancelJob', tag: 'jobs', role: 'operator',
      summary: 'Cancels a job still queued: off its queue, and the hold it put on its target ended',
      params: idParams,
      responses: { 200: 'The job as it was, with state "cancelled"', 404: 'No such job', 409: 'The job is already active or finished (the message names its state)' },
      handle: async ({ params }, res) => res.json({ ...jobJson(await jobs.cancel(params.id)), state: 'cancelled' }),
    }),
  ];
}
