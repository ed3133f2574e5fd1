import type { Redis } from 'ioredis';

const KEY = 'ballast:audit';
/** About this many entries are kept (a capped Redis stream; XADD MAXLEN ~). */
export const AUDIT_KEEP = 100_000;

/** One change: who (a token id, or `file:<path>` / `engine` for changes not made over the API), what, when. */
export interface AuditEntry {
  /** The stream id: `<ms>-<seq>`, ordered. */
  id: string;
  atMs: number;
  actor: string;
  role?: string;
  /** What was done: the route's operationId (`submitJob`) or an engine action (`applyPolicyFile`). */
  action: string;
  /** What it was done to: a VM, a job id, a policy version, … */
  target?: string;
  /** The outcome status (HTTP) or `ok`. */
  status: string;
  detail?: unknown;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'atMs' | 'status'> & { status?: string };

/**
 * Who changed what and when, kept in Redis (a capped stream) so every engine replica writes and reads the
 * same log and it survives restarts. Never holds a secret: actors are token ids, details are checked bodies.
 */
export class AuditLog {
  constructor(private readonly redis: Redis) {}

  async record(e: AuditInput): Promise<void> {
    const fields = ['actor', e.actor, 'action', e.action, 'status', e.status ?? 'ok'];
    if (e.role !== undefined) fields.push('role', e.role);
    if (e.target !== undefined) fields.push('target', e.target);
    if (e.detail !== undefined) fields.push('detail', JSON.stringify(e.detail));
    await this.redis.xadd(KEY, 'MAXLEN', '~', String(AUDIT_KEEP), '*', ...fields);
  }

  /** Newest first; `beforeId` pages back (exclusive), `actor` / `action` filter. */
  async list(q: { limit: number; beforeId?: string; actor?: string; action?: string }): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let end = q.beforeId !== undefined ? `(${q.beforeId}` : '+';
    while (out.length < q.limit) {
      const batch = (await this.redis.xrevrange(KEY, end, '-', 'COUNT', Math.max(100, q.limit))) as [string, string[]][];
      for (const [id, kv] of batch) {
        const e = entryOf(id, kv);
        if ((q.actor === undefined || e.actor === q.actor) && (q.action === undefined || e.action === q.action)) out.push(e);
        if (out.length >= q.limit) break;
      }
      const last = batch.at(-1);
      if (!last || batch.length < Math.max(100, q.limit)) break;
      end = `(${last[0]}`;
    }
    return out;
  }
}

function entryOf(id: string, kv: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i] as string] = kv[i + 1] as string;
  return {
    id,
    atMs: Number(id.split('-')[0]),
    actor: f['actor'] ?? '',
    ...(f['role'] !== undefined ? { role: f['role'] } : {}),
    action: f['action'] ?? '',
    ...(f['target'] !== undefined ? { target: f['target'] } : {}),
    status: f['status'] ?? '',
    ...(f['detail'] !== undefined ? { detail: JSON.parse(f['detail']) as unknown } : {}),
  };
}
