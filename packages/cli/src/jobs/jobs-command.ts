/** `ballast jobs submit <type> … [--wait]`, `jobs get <id>`, `jobs list [filters]`, `jobs cancel <id>`. */
import type { AnyJobType } from '@ballast/domain';
import { secondsFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import { ApiRefusal } from '../api/api-client.js';
import { readCommand, type ApiCommandDef, type ApiContext } from '../api/api-command.js';
import type { JobJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { age, renderRecord, renderTable } from '../api/output.js';
import { allJobFlags, flagName, jobRequestBody, jobSynopses, jobTypeArg } from './job-flags.js';
import { jobLine, jobRecord, progressText } from './job-view.js';

export const DEFAULT_WAIT_SEC = 900;
const POLL_MS = 500;

const done = (j: JobJson) => j.state === 'succeeded' || j.state === 'failed';

/** Polls GET /v1/jobs/:id until the job is done, showing each change of its line on stderr. */
export async function waitForJob(ctx: ApiContext, id: string, timeoutSec: number, pollMs = POLL_MS): Promise<JobJson> {
  const deadline = Date.now() + timeoutSec * 1000;
  let shown = '';
  for (;;) {
    const job = await ctx.client.get<JobJson>(`/v1/jobs/${encodeURIComponent(id)}`);
    const line = jobLine(job);
    const over = !done(job) && Date.now() > deadline;
    if (line !== shown || done(job) || over) ctx.io.progress(line, done(job) || over);
    shown = line;
    if (done(job)) return job;
    if (over) {
      throw new CliError(`job ${id} is still ${job.state} after ${timeoutSec} s (ballast jobs get ${id})`, EXIT.failed);
    }
    await ctx.io.sleep(pollMs);
  }
}

/** A refusal about a request field also names the flag that set it. */
function withFlag(err: unknown, def: AnyJobType): never {
  if (err instanceof ApiRefusal && err.field !== undefined && err.field in (def.request.shape as object)) {
    throw new ApiRefusal(`${err.message} (--${flagName(err.field)})`, err.status, err.code, err.field);
  }
  if (err instanceof ApiRefusal && err.field === def.scope) throw new ApiRefusal(`${err.message} (--${def.scope})`, err.status, err.code, err.field);
  throw err;
}

export const jobsSubmitCommand: ApiCommandDef = {
  name: 'jobs submit',
  summary: `submit a manual job; --wait follows it (a migration's progress) until done and exits 1 if it failed. Types:\n${jobSynopses()
    .map((l) => `        ${l}`)
    .join('\n')}`,
  synopsis: '<type> --vm <vm> | --host <host> [--<field> <value> …] [--wait [--timeout <s>]]',
  args: ['<type>'],
  flags: { ...allJobFlags(), wait: { type: 'boolean' }, timeout: { type: 'string' } },
  async run(ctx) {
    const def = jobTypeArg(ctx.positionals[0]);
    const body = jobRequestBody(def, ctx.flags);
    const timeoutSec = secondsFlag(ctx.flags, 'timeout', 86400);
    if (timeoutSec !== undefined && !ctx.flags.wait) throw new CliError('jobs submit: --timeout goes with --wait');
    const queued = await ctx.client.post<{ id: string; state: string; holdUntil: string }>('/v1/jobs', body).catch((e: unknown) => withFlag(e, def));
    if (!ctx.flags.wait) {
      ctx.print(queued, () => renderRecord([['id', queued.id], ['state', queued.state], ['held until', queued.holdUntil]]));
      return EXIT.ok;
    }
    ctx.io.err(`job ${queued.id} queued`);
    const job = await waitForJob(ctx, queued.id, timeoutSec ?? DEFAULT_WAIT_SEC);
    ctx.print(job, () => jobRecord(job));
    return job.state === 'succeeded' ? EXIT.ok : EXIT.failed;
  },
};

export const jobsGetCommand = readCommand<JobJson>({
  name: 'jobs get',
  summary: "a job's state, parameters, progress and outcome",
  synopsis: '<id>',
  args: ['<id>'],
  path: (ctx) => `/v1/jobs/${encodeURIComponent(ctx.positionals[0] as string)}`,
  table: jobRecord,
});

export function jobRows(jobs: JobJson[], nowMs = Date.now()): string {
  return renderTable(
    ['ID', 'STATE', 'TYPE', 'VM', 'HOST', 'SOURCE', 'AGE', 'RESULT'],
    jobs.map((j) => [j.id, j.state, j.type, j.vm ?? '-', j.host, j.policy ? `${j.source}:${j.policy}` : j.source, age(j.createdAt, nowMs), j.error ?? j.result?.message ?? progressText(j.progress) ?? '']),
  );
}

export const jobsListCommand = readCommand<{ jobs: JobJson[] }>({
  name: 'jobs list',
  summary: 'jobs, newest first; --vm, --host, --state queued|active|succeeded|failed, --source, --limit',
  synopsis: '[--vm <vm>] [--host <host>] [--state <state>] [--source <source>] [--limit <n>]',
  flags: { vm: { type: 'string' }, host: { type: 'string' }, state: { type: 'string' }, source: { type: 'string' }, limit: { type: 'string' } },
  path: () => '/v1/jobs',
  query: (ctx) => Object.fromEntries(['vm', 'host', 'state', 'source', 'limit'].map((k) => [k, ctx.flags[k] as string | undefined])),
  table: (body) => jobRows(body.jobs),
});

export const jobsCancelCommand: ApiCommandDef = {
  name: 'jobs cancel',
  summary: 'cancel a job while it is still queued (a running job cannot be cancelled)',
  synopsis: '<id>',
  args: ['<id>'],
  async run(ctx) {
    const body = await ctx.client.delete<Record<string, unknown>>(`/v1/jobs/${encodeURIComponent(ctx.positionals[0] as string)}`);
    ctx.print(body, () => `cancelled ${ctx.positionals[0] as string}`);
    return EXIT.ok;
  },
};
