/**
 * The stop switches (docs/stop-switches.md): `ballast pause --reason …`, `ballast resume` (admin token),
 * `ballast opt-out <vm> --reason …`, `ballast opt-in <vm>` (operator token) and `ballast opt-outs`.
 */
import { readCommand, type ApiCommandDef, type ApiContext } from '../api/api-command.js';
import { EXIT } from '../api/exit-codes.js';
import { renderRecord, renderTable } from '../api/output.js';
import { CliError } from '../cli-error.js';

interface PauseJson {
  paused: boolean;
  reason: string | null;
  since: string | null;
  actor: string | null;
  lifted?: { reason: string; since: string; actor: string } | null;
}

interface OptOutJson {
  vm: string;
  vmUuid: string;
  source: 'api' | 'label';
  reason: string;
  since: string | null;
  actor: string | null;
  reported?: boolean;
}

/** --reason, required and not blank (the engine refuses a blank one too; saying so here saves a round trip). */
function reasonOf(ctx: ApiContext, command: string): string {
  const reason = ctx.flags.reason as string | undefined;
  if (reason === undefined || reason.trim() === '') throw new CliError(`${command}: --reason <text> is required (it is shown in every decision the switch suppresses)`);
  return reason;
}

const vmPath = (ctx: ApiContext) => `/v1/vms/${encodeURIComponent(ctx.positionals[0] as string)}/opt-out`;

export const pauseCommand: ApiCommandDef = {
  name: 'pause',
  summary: 'pause the cluster: policies keep deciding, no policy job is enqueued (manual jobs still are); admin token',
  synopsis: '--reason <text>',
  flags: { reason: { type: 'string' } },
  async run(ctx) {
    const body = await ctx.client.post<PauseJson>('/v1/pause', { reason: reasonOf(ctx, 'pause') });
    ctx.print(body, () => renderRecord([['paused', body.paused], ['reason', body.reason], ['since', body.since], ['by', body.actor]]));
    return EXIT.ok;
  },
};

export const resumeCommand: ApiCommandDef = {
  name: 'resume',
  summary: "lift the cluster pause: the next cycle enqueues the policies' jobs again; admin token",
  synopsis: '',
  async run(ctx) {
    const body = await ctx.client.delete<PauseJson>('/v1/pause');
    const lifted = body.lifted ? `${body.lifted.reason} (by ${body.lifted.actor} since ${body.lifted.since})` : '(the cluster was not paused)';
    ctx.print(body, () => renderRecord([['paused', body.paused], ['lifted', lifted]]));
    return EXIT.ok;
  },
};

export const optOutCommand: ApiCommandDef = {
  name: 'opt-out',
  summary: 'opt a VM out of policy jobs (manual jobs still reach it) until opt-in; operator token',
  synopsis: '<vm> --reason <text>',
  args: ['<vm>'],
  flags: { reason: { type: 'string' } },
  async run(ctx) {
    const body = await ctx.client.post<OptOutJson>(vmPath(ctx), { reason: reasonOf(ctx, 'opt-out') });
    ctx.print(body, () => renderRecord([['vm', body.vm], ['uuid', body.vmUuid], ['opted out', true], ['reason', body.reason], ['since', body.since], ['by', body.actor]]));
    return EXIT.ok;
  },
};

export const optInCommand: ApiCommandDef = {
  name: 'opt-in',
  summary: "remove a VM's opt-out (made with opt-out; a label opt-out goes with the label); operator token",
  synopsis: '<vm>',
  args: ['<vm>'],
  async run(ctx) {
    const body = await ctx.client.delete<{ vm: string; vmUuid: string; optedOut: OptOutJson | null }>(vmPath(ctx));
    const still = body.optedOut ? `yes, by ${body.optedOut.source}${body.optedOut.reason ? `: ${body.optedOut.reason}` : ''}` : false;
    ctx.print(body, () => renderRecord([['vm', body.vm], ['uuid', body.vmUuid], ['opted out', still]]));
    return EXIT.ok;
  },
};

export const optOutsCommand = readCommand<{ optOuts: OptOutJson[] }>({
  name: 'opt-outs',
  summary: 'the VMs opted out of policy jobs (over the API, or by the label ballast.dev/opt-out=true)',
  synopsis: '',
  path: () => '/v1/opt-outs',
  table: (body) =>
    renderTable(
      ['VM', 'UUID', 'SOURCE', 'BY', 'SINCE', 'REASON'],
      body.optOuts.map((o) => [o.vm, o.vmUuid, o.source, o.actor, o.since, o.reason]),
    ),
});
