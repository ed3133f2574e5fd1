/**
 * The decision log as the API reads it when several engine replicas run: each replica logs the decisions it
 * makes (for the hosts it decides for, in memory: DecisionLog), so a read on one replica asks the others too
 * (their GET /v1/decisions with `local=1`, the caller's token passed on) and merges the answers. Every replica
 * thus answers the same, and the decisions a replica made before a host moved to another stay readable while
 * it runs. A replica that does not answer within `timeoutMs` is left out (logged, once a minute at most).
 */
import type { Request } from 'express';
import type { DecisionLog, LoggedDecision } from './decision-log.js';

export interface DecisionQuery {
  vmUuid?: string;
  limit?: number;
  kind?: string;
  latest?: boolean;
}

export interface Peer {
  id: string;
  url?: string;
}

export interface ReplicaDecisionsOptions {
  /** The other replicas alive. */
  peers: () => Promise<Peer[]>;
  timeoutMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

const subjectOf = (d: LoggedDecision) => `${d.vmUuid ?? `host:${d.hostId ?? '-'}`}|${d.policy}`;

export class ReplicaDecisions {
  private lastWarnMs = -Infinity;

  constructor(
    readonly local: DecisionLog,
    private readonly o: ReplicaDecisionsOptions,
  ) {}

  /** This replica's decisions and (unless `localOnly`, or without a caller to ask for) the other replicas'. */
  async list(q: DecisionQuery, from?: Request, localOnly = false): Promise<LoggedDecision[]> {
    const own = this.local.list(q);
    const auth = from?.headers.authorization;
    if (localOnly || auth === undefined) return own;
    const peers = (await this.o.peers()).filter((p) => p.url !== undefined);
    if (peers.length === 0) return own;
    const theirs = await Promise.all(peers.map((p) => this.ask(p, q, auth)));
    return merge([own, ...theirs], q);
  }

  private async ask(p: Peer, q: DecisionQuery, auth: string): Promise<LoggedDecision[]> {
    const qs = new URLSearchParams({ local: 'true', limit: String(q.limit ?? 100) });
    if (q.vmUuid !== undefined) qs.set('vm', q.vmUuid);
    if (q.kind !== undefined) qs.set('kind', q.kind);
    if (q.latest) qs.set('latest', 'true');
    try {
      const res = await fetch(`${p.url}/v1/decisions?${qs}`, { headers: { authorization: auth }, signal: AbortSignal.timeout(this.o.timeoutMs ?? 2_000) });
      if (res.status === 404) return []; // the VM is not known there (yet)
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return ((await res.json()) as { decisions: LoggedDecision[] }).decisions;
    } catch (e) {
      if (Date.now() - this.lastWarnMs > 60_000) {
        this.lastWarnMs = Date.now();
        this.o.log?.warn({ peer: p.id, url: p.url, err: (e as Error).message }, 'decisions: another engine replica did not answer; its decisions are left out');
      }
      return [];
    }
  }
}

/**
 * Lists of decisions (each newest first) as one, newest first, each decision once: `latest` applies across them
 * (a host that moved has a newest cycle on each side).
 */
export function merge(lists: readonly LoggedDecision[][], q: DecisionQuery): LoggedDecision[] {
  // a replica that took a host over holds its old owner's decisions too (takeover.ts): one copy of each
  const seen = new Set<string>();
  let all = lists.flat().filter((d) => {
    const id = `${subjectOf(d)}|${d.atMs}|${d.kind}|${d.engine ?? ''}|${d.reason}`;
    return !seen.has(id) && seen.add(id);
  });
  if (q.latest) {
    const newest = new Map<string, number>();
    for (const d of all) newest.set(subjectOf(d), Math.max(newest.get(subjectOf(d)) ?? -Infinity, d.atMs));
    all = all.filter((d) => d.atMs === newest.get(subjectOf(d)));
  }
  return all.sort((a, b) => b.atMs - a.atMs).slice(0, q.limit ?? 100);
}
