/**
 * `ballast events [--types decision,job,recommendation] [--after <id>] [--count <n>]`: follows the engine's
 * event stream (GET /v1/events, server-sent events) and prints one line per event (`-o json`: the event's
 * JSON, one per line). When the connection drops it reconnects with Last-Event-ID, so no event is lost
 * while the engine's replay buffer holds it. Stops after `--count` events, else runs until interrupted.
 */
import type { ApiCommandDef, ApiContext } from '../api/api-command.js';
import { ApiRefusal, errorOf } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError } from '../cli-error.js';
import { SseParser } from './sse-parser.js';

export interface EventJson {
  id: string;
  type: string;
  action: string;
  at: string;
  vmUuid?: string;
  hostId?: string;
  data: Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** One line for an event: time, type, action, subject, and what it says. */
export function eventLine(e: EventJson): string {
  const d = e.data;
  const subject = str(d['vm']) ?? e.vmUuid ?? (e.hostId !== undefined ? `host ${e.hostId}` : '-');
  let what: string;
  if (e.type === 'job') what = [str(d['type']), str(d['host']) && `on ${str(d['host'])}`, str(d['id']), str(d['error']) && `error: ${str(d['error'])}`, str(d['result'])].filter(Boolean).join(' ');
  else if (e.type === 'recommendation') what = `${str(d['from']) ?? '?'} → ${str(d['to']) ?? '?'} ${str(d['reason']) ?? ''}`.trim();
  else what = `${str(d['policy']) ?? ''}: ${str(d['reason']) ?? ''}`;
  return `${e.at}  ${e.type.padEnd(14)}  ${e.action.padEnd(10)}  ${subject}  ${what}`;
}

export const eventsCommand: ApiCommandDef = {
  name: 'events',
  summary: 'follow decisions, job outcomes and recommendation changes as they happen (one line each; reconnects and resumes)',
  synopsis: '[--types decision,job,recommendation] [--after <event id>] [--count <n>]',
  flags: { types: { type: 'string' }, after: { type: 'string' }, count: { type: 'string' } },
  run: (ctx) => follow(ctx),
};

async function follow(ctx: ApiContext): Promise<number> {
  const count = countFlag(ctx.flags.count);
  const types = ctx.flags.types as string | undefined;
  let lastId = ctx.flags.after as string | undefined;
  let printed = 0;
  let failures = 0;
  const fetchImpl = ctx.io.fetch ?? fetch;
  for (;;) {
    const ac = new AbortController();
    let res: Response;
    try {
      const q = types !== undefined ? `?${new URLSearchParams({ types }).toString()}` : '';
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (ctx.client.config.token !== undefined) headers['authorization'] = `Bearer ${ctx.client.config.token}`;
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      res = await fetchImpl(`${ctx.client.config.apiUrl}/v1/events${q}`, { headers, signal: ac.signal });
    } catch (err) {
      if (printed === 0 && failures === 0) throw new CliError(`cannot reach the policy engine at ${ctx.client.config.apiUrl} (${(err as Error).message}); set --api-url or BALLAST_API_URL`, EXIT.unreachable);
      await retryPause(ctx, ++failures);
      continue;
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      const e = errorOf(await res.json().catch(() => undefined));
      throw new ApiRefusal(`GET /v1/events: ${res.status}${e.code ? ` ${e.code}` : ''}: ${e.message}${e.field ? ` [field: ${e.field}]` : ''}`, res.status, e.code, e.field);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      await retryPause(ctx, ++failures);
      continue;
    }
    failures = 0;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let enough = false;
    try {
      for await (const chunk of res.body) {
        for (const m of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
          if (m.id !== undefined) lastId = m.id;
          if (m.event === 'error') ctx.io.err(`events: ${m.data}`);
          else ctx.io.out(ctx.format === 'json' ? m.data : eventLine(JSON.parse(m.data) as EventJson));
          if (m.event !== 'error' && ++printed === count) {
            enough = true;
            break;
          }
        }
        if (enough) break;
      }
    } catch {
      /* the connection dropped: reconnect below */
    }
    if (enough) {
      ac.abort();
      return EXIT.ok;
    }
    ctx.io.err(`events: the stream ended${lastId !== undefined ? `; resuming after ${lastId}` : ''}`);
    await retryPause(ctx, ++failures);
  }
}

function countFlag(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`events: --count must be a whole number ≥ 1, not '${String(raw)}'`);
  return n;
}

/** 1 s, 2 s, 4 s … at most 30 s between reconnects. */
async function retryPause(ctx: ApiContext, failures: number): Promise<void> {
  await ctx.io.sleep(Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)));
}
