/** How a job reads in the terminal: a record, and one progress line while it runs. */
import type { JobJson } from '../api/api-types.js';
import { renderRecord, type Cell } from '../api/output.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** `412.5/1024 MiB sent (40%) at 128 MiB/s, 3.2 s` from a migration's progress figures; undefined without them. */
export function progressText(p: Record<string, unknown> | undefined): string | undefined {
  if (!p) return undefined;
  const sent = num(p['memorySentMiB']);
  const total = num(p['memoryTotalMiB']);
  const percent = num(p['percent']) ?? (sent !== undefined && total ? Math.round((100 * sent) / total) : undefined);
  const rate = num(p['rateMiBs']);
  const elapsed = num(p['elapsedSec']);
  const head = [
    sent !== undefined || total !== undefined ? `${sent ?? '?'}/${total ?? '?'} MiB sent` : '',
    percent !== undefined ? `(${percent}%)` : '',
    rate !== undefined ? `at ${rate} MiB/s` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  const text = [head, elapsed !== undefined ? `${elapsed} s` : ''].filter((x) => x !== '').join(', ');
  return text === '' ? undefined : text;
}

/** One line for a job under way, e.g. `job 3f2…: active, migrate vm-0-1 → h1: 512/1024 MiB sent (50%)`. */
export function jobLine(job: JobJson): string {
  const what = job.type === 'migrate' && typeof job.params['targetHost'] === 'string' ? `migrate ${job.vm ?? job.host} → ${job.params['targetHost']}` : `${job.type} ${job.vm ?? job.host}`;
  const progress = progressText(job.progress);
  return `job ${job.id}: ${job.state}, ${what}${progress ? `: ${progress}` : ''}`;
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

export function jobRecord(job: JobJson): string {
  const fields: [string, Cell][] = [
    ['id', job.id],
    ['state', job.state],
    ['type', job.type],
    ['vm', job.vm],
    ['host', job.host],
    ['source', job.policy ? `${job.source} (${job.policy})` : job.source],
    ['params', paramsText(job.params)],
    ['created', job.createdAt],
    ['finished', job.finishedAt],
    ['attempts', job.attempts],
  ];
  if (job.progress) fields.push(['progress', progressText(job.progress) ?? JSON.stringify(job.progress)]);
  if (job.result) fields.push(['result', job.result.message ?? JSON.stringify(job.result)]);
  if (job.error) fields.push(['error', job.error]);
  return renderRecord(fields.filter(([k, v]) => v !== undefined || k === 'finished'));
}
