/** `ballast token create --role r --name n`, `token list`, `token revoke <id>`, and `ballast audit`: admin and audit faces. */
import { readCommand, type ApiCommandDef } from '../api/api-command.js';
import { CliError } from '../cli-error.js';
import { EXIT } from '../api/exit-codes.js';
import { age, renderRecord, renderTable } from '../api/output.js';

export interface TokenJson {
  id: string;
  role: string;
  name: string;
  createdAt: string;
  createdBy: string;
  token?: string;
}

export interface AuditJson {
  id: string;
  at: string;
  actor: string;
  role?: string;
  action: string;
  target?: string;
  status: string;
  detail?: unknown;
}

const ROLES = ['viewer', 'operator', 'admin'];

export const tokenCreateCommand: ApiCommandDef = {
  name: 'token create',
  summary: 'make an API token (needs an admin token); prints it once — keep it, it cannot be shown again',
  synopsis: '--role viewer|operator|admin --name <who it is for>',
  flags: { role: { type: 'string' }, name: { type: 'string' } },
  async run(ctx) {
    const role = ctx.flags.role as string | undefined;
    const name = ctx.flags.name as string | undefined;
    if (role === undefined || !ROLES.includes(role)) throw new CliError(`token create: --role must be one of ${ROLES.join(', ')}`);
    if (name === undefined || name.trim() === '') throw new CliError('token create: missing --name (who or what the token is for)');
    const t = await ctx.client.post<TokenJson>('/v1/tokens', { role, name });
    ctx.print(t, () => `${renderRecord([['token', t.token], ['id', t.id], ['role', t.role], ['name', t.name]])}\n\nthe token is shown only now: store it (e.g. BALLAST_API_TOKEN, or a file with mode 0600)`);
    return EXIT.ok;
  },
};

export const tokenListCommand = readCommand<{ tokens: TokenJson[] }>({
  name: 'token list',
  summary: 'the API tokens: ids, roles, names and who made them (never the tokens)',
  synopsis: '',
  path: () => '/v1/tokens',
  table: (body) => renderTable(['ID', 'ROLE', 'NAME', 'CREATED BY', 'AGE'], body.tokens.map((t) => [t.id, t.role, t.name, t.createdBy, age(t.createdAt)])),
});

export const tokenRevokeCommand: ApiCommandDef = {
  name: 'token revoke',
  summary: 'revoke a token: calls with it fail from now on',
  synopsis: '<id>',
  args: ['<id>'],
  async run(ctx) {
    const body = await ctx.client.delete<{ revoked: string }>(`/v1/tokens/${encodeURIComponent(ctx.positionals[0] as string)}`);
    ctx.print(body, () => `revoked ${body.revoked}`);
    return EXIT.ok;
  },
};

export function auditRows(entries: AuditJson[], nowMs = Date.now()): string {
  return renderTable(
    ['AGE', 'ACTOR', 'ROLE', 'ACTION', 'TARGET', 'STATUS', 'DETAIL'],
    entries.map((e) => [age(e.at, nowMs), e.actor, e.role ?? '-', e.action, e.target ?? '-', e.status, e.detail === undefined ? '' : JSON.stringify(e.detail).slice(0, 80)]),
  );
}

export const auditCommand = readCommand<{ entries: AuditJson[] }>({
  name: 'audit',
  summary: 'who changed what and when, newest first; --actor <token id>, --action <operation>, --limit n',
  synopsis: '[--actor <token id>] [--action <operationId>] [--limit <n>]',
  flags: { actor: { type: 'string' }, action: { type: 'string' }, limit: { type: 'string' } },
  path: () => '/v1/audit',
  query: (ctx) => ({ actor: ctx.flags.actor as string | undefined, action: ctx.flags.action as string | undefined, limit: ctx.flags.limit as string | undefined }),
  table: (body) => auditRows(body.entries),
});
