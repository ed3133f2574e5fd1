/**
 * `POST /v1/policies/replay`: a candidate policy document run over the recorded samples of a window
 * (replay-run.ts, docs/replay.md). Operator: it changes nothing, but costs CPU; one replay runs at a time.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { PolicyRegistry } from '@ballast/domain';
import { ApiError } from '../api-error.js';
import { defineRoute, type Route } from '../http/route-table.js';
import { candidatePolicies } from './candidate-document.js';
import { replayPolicies } from './replay-run.js';
import { readSamples } from './sample-reader.js';

export interface ReplayDeps {
  redis: Redis;
  registry: () => PolicyRegistry;
  /** The engine's settings the replay copies by default. */
  cycleMs: number;
  windowSize: number;
  staleAfterIntervals: number;
  now: () => number;
  /** Longest window; default 24 h. */
  maxWindowMs?: number;
  /** Most cycles one replay runs; default 10,000. */
  maxCycles?: number;
  /** Longest one replay runs before it stops (truncated); default 120 s. */
  maxRunMs?: number;
}

const MINUTE = 60_000;

export const replayBody = z.strictObject({
  document: z.record(z.string(), z.unknown()).describe('The candidate policy document, as the policy file: {"policies": {"<name>": {"automation", "args"}}}.'),
  fromMs: z.number().int().min(0).optional().describe('Window start, ms since epoch (instead of sinceMinutes).'),
  toMs: z.number().int().min(0).optional().describe('Window end, ms since epoch; default now.'),
  sinceMinutes: z.number().min(1).max(7 * 24 * 60).optional().describe('Window: the last N minutes (default 60 when fromMs is not given).'),
  hosts: z.array(z.string().min(1)).min(1).max(1000).optional().describe('Only the samples of these hosts; default every recorded host.'),
  cycleMs: z.number().int().min(100).max(3_600_000).optional().describe("Cycle period of the replay; default the engine's cycleMs."),
  limit: z.number().int().min(1).max(1000).default(100).describe('Decisions and jobs listed (the metrics count them all).'),
  allDecisions: z.boolean().optional().describe('List every decision; default only those that made or skipped a job.'),
});

type ReplayBody = z.output<typeof replayBody>;

/** The window a body asks for, checked against the bounds (400 naming the field). */
export function replayWindow(b: ReplayBody, d: Pick<ReplayDeps, 'cycleMs' | 'now' | 'maxWindowMs' | 'maxCycles'>) {
  if (b.sinceMinutes !== undefined && b.fromMs !== undefined) throw new ApiError(400, 'invalid_request', 'sinceMinutes: give either sinceMinutes or fromMs, not both', 'sinceMinutes');
  const toMs = b.toMs ?? d.now();
  const fromMs = b.fromMs ?? toMs - (b.sinceMinutes ?? 60) * MINUTE;
  const field = b.fromMs !== undefined ? 'fromMs' : 'sinceMinutes';
  if (fromMs >= toMs) throw new ApiError(400, 'invalid_request', `${b.toMs !== undefined ? 'toMs' : field}: the window must end after it starts`, b.toMs !== undefined ? 'toMs' : field);
  const maxWindowMs = d.maxWindowMs ?? 24 * 60 * MINUTE;
  if (toMs - fromMs > maxWindowMs) throw new ApiError(400, 'window_too_long', `${field}: the window is longer than ${maxWindowMs / MINUTE} minutes`, field);
  const cycleMs = b.cycleMs ?? d.cycleMs;
  const cycles = Math.ceil((toMs - fromMs) / cycleMs);
  const maxCycles = d.maxCycles ?? 10_000;
  if (cycles > maxCycles) {
    const f = b.cycleMs !== undefined ? 'cycleMs' : field;
    throw new ApiError(400, 'too_many_cycles', `${f}: the window holds ${cycles} cycles of ${cycleMs} ms, more than ${maxCycles}: shorten it or raise cycleMs`, f);
  }
  return { fromMs, toMs, cycleMs, maxCycles };
}

export function replayRoutes(d: ReplayDeps): Route[] {
  let running = false;
  return [
    defineRoute({
      method: 'post', path: '/policies/replay', operationId: 'replayPolicies', tag: 'policies', role: 'operator',
      summary: 'What-if: runs a candidate policy document over the recorded samples of a window and returns the decisions and jobs it would have made, touching no host',
      body: replayBody,
      responses: {
        200: '`{fromMs, toMs, cycleMs, truncated, model, metrics, decisions, jobs}`',
        400: 'A bad body, a window too long, or an invalid document (`error.issues` lists every bad field)',
        429: 'Another replay is running',
      },
      handle: async ({ body }, res) => {
        const registry = d.registry();
        const doc = candidatePolicies(registry, body.document, 'document.');
        if (!doc.ok) {
          const first = doc.issues[0] ?? 'document';
          res.status(400).json({ error: { code: 'invalid_policy_document', message: doc.issues.join('; '), field: first.split(':')[0], issues: doc.issues } });
          return;
        }
        const w = replayWindow(body, d);
        if (running) {
          res.setHeader('Retry-After', '5');
          throw new ApiError(429, 'replay_busy', 'another replay is running: try again shortly');
        }
        running = true;
        try {
          const samples = readSamples(d.redis, { fromMs: w.fromMs, toMs: w.toMs, ...(body.hosts ? { hosts: body.hosts } : {}) });
          const r = await replayPolicies(samples, {
            registry, policies: doc.policies, fromMs: w.fromMs, toMs: w.toMs, cycleMs: w.cycleMs, maxCycles: w.maxCycles, maxRunMs: d.maxRunMs ?? 120_000,
            windowSize: d.windowSize, staleAfterIntervals: d.staleAfterIntervals, limit: body.limit, allDecisions: body.allDecisions ?? false,
          });
          res.json({ ...r, model: 'open-loop: the recorded samples do not respond to replayed jobs; each job is taken to succeed one cycle after it is made' });
        } finally {
          running = false;
        }
      },
    }),
  ];
}
