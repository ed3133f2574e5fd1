/**
 * `ballast policy get|apply|history`: the versioned policy document (docs/policies-api.md).
 *
 *   policy get [-o table|json|yaml]   -o yaml prints `version` + `policies`: edit it and `policy apply -f` it back
 *   policy apply -f <file> [--version N] [--comment text]
 *   policy history [--limit N]
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { intFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import type { ApiCommandDef } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import type { PolicyJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { age, renderTable } from '../api/output.js';
import { policyRows } from './policy-command.js';

export interface PolicyVersionJson {
  version: number;
  updatedAt: string | null;
  actor: string;
  source: string;
  comment?: string;
  document: { policies: Record<string, unknown> };
}

type CurrentJson = PolicyVersionJson & { policies: PolicyJson[] };

export const policyGetCommand: ApiCommandDef = {
  name: 'policy get',
  summary: 'the policy document in force: its version, then each policy with its automation and args (-o yaml: the document to edit and apply back)',
  synopsis: '[-o table|json|yaml]',
  async run(ctx) {
    const body = await ctx.client.get<CurrentJson>('/v1/policies');
    if (ctx.format === 'yaml') {
      ctx.print({ version: body.version, ...body.document }, () => '');
      return EXIT.ok;
    }
    const head = `version ${body.version}${body.updatedAt ? `, ${age(body.updatedAt)} ago by ${body.actor} (${body.source})` : ' (nothing stored)'}`;
    ctx.print(body, () => `${head}\n\n${policyRows(body.policies)}`);
    return EXIT.ok;
  },
};

/** A document file as a value (YAML parses JSON too); a file that cannot be read or parsed is a usage error. */
export function readDocumentFile(file: string, readText: (f: string) => string | undefined): Record<string, unknown> {
  const text = readText(file);
  if (text === undefined) throw new CliError(`policy apply: -f ${file}: cannot read the file`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CliError(`policy apply: -f ${file}: not valid JSON or YAML (${(e as Error).message.split('\n')[0] ?? ''})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError(`policy apply: -f ${file}: must hold an object {"policies": {…}}`);
  return doc as Record<string, unknown>;
}

const readOrUndefined = (f: string): string | undefined => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/** A refusal made plain: every issue of an invalid document, or what a 409 means. */
function explain(e: ApiRefusal, base: number): ApiRefusal {
  const err = (e.body as { error?: { issues?: { field: string; message: string }[]; currentVersion?: number } } | undefined)?.error;
  if (e.status === 409 && err?.currentVersion !== undefined) {
    return new ApiRefusal(`policy apply: the document changed meanwhile: it is at version ${err.currentVersion}, this was applied on top of ${base}. Nothing was changed; run 'ballast policy get' and apply again.`, 409, e.code, e.field, e.body);
  }
  if (err?.issues && err.issues.length > 0) {
    return new ApiRefusal(`policy apply: the document is invalid, nothing was changed:\n${err.issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`, e.status, e.code, e.field, e.body);
  }
  return e;
}

export const policyApplyCommand: ApiCommandDef = {
  name: 'policy apply',
  summary: "replace the policy document with a JSON or YAML file, on top of --version (else the file's version field, else the current one); exit 4 if it changed meanwhile (409) or is invalid (every issue printed)",
  synopsis: '-f <file.json|yaml> [--version <n>] [--comment <text>]',
  flags: { file: { type: 'string', short: 'f' }, version: { type: 'string' }, comment: { type: 'string' } },
  async run(ctx) {
    const file = ctx.flags.file;
    if (typeof file !== 'string' || file === '') throw new CliError('policy apply: missing -f <file>');
    const doc = readDocumentFile(file, ctx.io.readText ?? readOrUndefined);
    const flag = intFlag(ctx.flags, 'version', 0, Number.MAX_SAFE_INTEGER);
    const inFile = typeof doc['version'] === 'number' ? doc['version'] : undefined;
    if (flag !== undefined && inFile !== undefined && flag !== inFile) throw new CliError(`policy apply: --version ${flag} but ${file} says version ${inFile}`);
    const base = flag ?? inFile ?? (await ctx.client.get<PolicyVersionJson>('/v1/policies')).version;
    const comment = typeof ctx.flags.comment === 'string' ? ctx.flags.comment : doc['comment'];
    let v: PolicyVersionJson;
    try {
      v = await ctx.client.put<PolicyVersionJson>('/v1/policies', { ...doc, version: base, ...(comment !== undefined ? { comment } : {}) });
    } catch (e) {
      throw e instanceof ApiRefusal ? explain(e, base) : e;
    }
    ctx.print(v, () => `applied: version ${v.version} (was ${base}); in force from the next policy cycle`);
    return EXIT.ok;
  },
};

export const policyHistoryCommand: ApiCommandDef = {
  name: 'policy history',
  summary: 'the stored versions of the policy document, newest first (default limit 20)',
  synopsis: '[--limit <n>]',
  flags: { limit: { type: 'string' } },
  async run(ctx) {
    const limit = intFlag(ctx.flags, 'limit', 1, 200) ?? 20;
    const body = await ctx.client.get<{ versions: PolicyVersionJson[] }>('/v1/policies/history', { limit: String(limit) });
    ctx.print(body, () =>
      renderTable(
        ['VERSION', 'AGE', 'ACTOR', 'SOURCE', 'POLICIES', 'COMMENT'],
        body.versions.map((v) => [v.version, age(v.updatedAt), v.actor, v.source, Object.keys(v.document.policies).join(',') || '-', v.comment ?? '-']),
      ),
    );
    return EXIT.ok;
  },
};
