/** `ballast recommendations [--state s]`, `ballast approve <id> [--note …]`, `ballast reject <id> [--note …]`. */
import { readCommand, type ApiCommandDef } from '../api/api-command.js';
import type { RecommendationJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { age, renderRecord, renderTable } from '../api/output.js';

export function recommendationRows(recs: RecommendationJson[], nowMs = Date.now()): string {
  return renderTable(
    ['ID', 'STATE', 'VM', 'FROM', 'TO', 'PRIORITY', 'IMBALANCE', 'PREDICTED', 'AGE', 'REASON'],
    recs.map((r) => [r.id, r.state, r.vm, r.from, r.to, r.priority, round3(r.imbalanceBefore), round3(r.predictedAfter), age(r.createdAt, nowMs), r.reason]),
  );
}

function round3(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '-';
}

function recommendationRecord(r: RecommendationJson): string {
  return renderRecord([
    ['id', r.id],
    ['state', r.state],
    ['move', `${r.vm}: ${r.from} → ${r.to}`],
    ['reason', r.reason],
    ['note', r.note],
    ['job', r.jobId],
    ['error', r.error],
  ]);
}

export const recommendationsCommand = readCommand<{ recommendations: RecommendationJson[] }>({
  name: 'recommendations',
  summary: "the moves cluster-balance recommends (automation 'recommend'), newest first; --state pending|approved|rejected|applied|failed|expired",
  synopsis: '[--state <state>]',
  flags: { state: { type: 'string' } },
  path: () => '/v1/recommendations',
  query: (ctx) => ({ state: ctx.flags.state as string | undefined }),
  table: (body) => recommendationRows(body.recommendations),
});

function decideCommand(verb: 'approve' | 'reject', summary: string): ApiCommandDef {
  return {
    name: verb,
    summary,
    synopsis: '<id> [--note <text>]',
    args: ['<id>'],
    flags: { note: { type: 'string' } },
    async run(ctx) {
      const note = ctx.flags.note as string | undefined;
      const id = ctx.positionals[0] as string;
      const body = await ctx.client.post<RecommendationJson>(`/v1/recommendations/${encodeURIComponent(id)}/${verb}`, note !== undefined ? { note } : {});
      ctx.print(body, () => recommendationRecord(body));
      return EXIT.ok;
    },
  };
}

export const approveCommand = decideCommand('approve', 'approve a pending recommendation: its move is enqueued as a migrate job');
export const rejectCommand = decideCommand('reject', 'reject a pending recommendation: that move is not recommended again for 1 h');
