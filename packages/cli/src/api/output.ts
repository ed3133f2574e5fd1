/** How the operator commands print: a borderless table (cli-table3) by default, the API's JSON with `-o json` (or as YAML with `-o yaml`). */
import Table from 'cli-table3';
import { stringify as stringifyYaml } from 'yaml';
import { CliError } from '../cli-error.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function outputFormat(raw: string | boolean | string[] | undefined): OutputFormat {
  if (raw === undefined) return 'table';
  if (raw === 'table' || raw === 'json' || raw === 'yaml') return raw;
  throw new CliError(`-o/--output must be table, json or yaml, got '${String(raw)}'`);
}

export type Cell = string | number | boolean | null | undefined;

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '   ',
};

/** Columns with a header row, kubectl-like: no borders, no colours, no trailing spaces. */
export function renderTable(head: string[], rows: Cell[][]): string {
  const table = new Table({
    head,
    chars: NO_BORDER,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
  });
  for (const row of rows) table.push(row.map(cellText));
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .join('\n');
}

/** Two columns, name and value: one record (a job, the status). */
export function renderRecord(fields: [string, Cell][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${cellText(v)}`.trimEnd()).join('\n');
}

export function cellText(v: Cell): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v;
}

/** `k=v,k=v` of a labels object; '-' when empty. */
export function labelsText(labels: Record<string, string> | undefined | null): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** How long ago an ISO time was, e.g. `4s`, `3m`, `2h`, `5d`; '-' when absent. */
export function age(iso: string | null | undefined, nowMs = Date.now()): string {
  if (!iso) return '-';
  const ms = nowMs - Date.parse(iso);
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** Prints `-o json` as the API answered it (2-space indent), else the table text. */
export function print(format: OutputFormat, json: unknown, table: () => string): void {
  console.log(formatted(format, json, table));
}

/** The answer as `-o` asks: the API's JSON (2-space indent), the same as YAML, or the table text. */
export function formatted(format: OutputFormat, json: unknown, table: () => string): string {
  return format === 'json' ? JSON.stringify(json, null, 2) : format === 'yaml' ? stringifyYaml(json).trimEnd() : table();
}
