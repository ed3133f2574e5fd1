import { spawnSync } from 'node:child_process';

/**
 * What `promtool check metrics` flags in prom-client's own default Node.js metrics (gauges whose names end in
 * `_total`): prom-client's standard names, kept so that standard Node.js dashboards work. Every other line
 * promtool prints is a problem.
 */
export const PROM_CLIENT_DEFAULT_LINT: readonly RegExp[] = [/^ballast_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/];

export interface PromtoolCheck {
  /** promtool's exit code. */
  code: number | null;
  /** Every line promtool printed (stdout and stderr), trimmed, empty ones left out. */
  lines: string[];
  /** The lines not explained by PROM_CLIENT_DEFAULT_LINT. */
  problems: string[];
}

/**
 * Runs `promtool check metrics` (Debian package `prometheus`; infra/setup/deps.sh installs it) on a
 * /metrics text. Throws when promtool is not installed, saying so.
 *
 *   const r = promtoolCheckMetrics(await (await fetch(url + '/metrics')).text());
 *   assert.deepEqual(r.problems, []);
 */
export function promtoolCheckMetrics(text: string, bin = process.env['PROMTOOL'] ?? 'promtool'): PromtoolCheck {
  const r = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `${bin} not found: install Debian's prometheus package (infra/setup/deps.sh does)` : `${bin}: ${r.error.message}`);
  }
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const problems = lines.filter((l) => !PROM_CLIENT_DEFAULT_LINT.some((re) => re.test(l)));
  return { code: r.status, lines, problems };
}
