// Every `npx ballast lab …` line of README.md's ```sh blocks, run exactly as written (less its trailing
// `# comment`) from the repository root, as a newcomer would: exit 0 and plausible output. A command that
// starts something in a guest (`--consume`, `--duty`) is undone afterwards (`--free`, `--stop`). The
// operator commands' lines (`npx ballast hosts` …) need an engine: cli-api.int.test.ts runs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { readmeCommands } from '@ballast/testkit';
import { REPO } from './services.js';

const LAB = process.env.BALLAST_LAB === '1';
const run = promisify(execFile);
const commands = readmeCommands(readFileSync(path.join(REPO, 'README.md'), 'utf8'), 'npx ballast lab ');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line with bash in the repository root; npx may not fetch anything from a registry. */
async function shell(line: string): Promise<Result> {
  const env = { ...process.env, npm_config_yes: 'false' };
  try {
    const { stdout, stderr } = await run('bash', ['-c', line], { cwd: REPO, env, timeout: 120000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The CLI invocation (built bin, not npx) that ends what a README line starts, if it starts anything. */
function undoOf(line: string): string[] | undefined {
  const [, , , sub, vm] = line.split(/\s+/); // npx ballast lab <sub> <vm> …
  if (sub === 'mem' && vm && /\s--consume\b/.test(line)) return ['lab', 'mem', vm, '--free'];
  if (sub === 'cpu' && vm && /\s--duty\b/.test(line)) return ['lab', 'cpu', vm, '--stop'];
  return undefined;
}

function parseJson(r: Result, what: string): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`${what}: expected JSON on stdout, got: ${r.stdout.slice(0, 500)}`);
  }
}

/** What a command's output should look like, by subcommand; any stdout that looks like JSON must parse. */
function assertPlausible(line: string, r: Result): void {
  const sub = line.split(/\s+/).slice(2, 4).join(' ');
  if (sub === 'lab health') {
    const health = parseJson(r, line);
    const all = (Array.isArray(health) ? health : [health]) as { vm?: string; status?: string }[];
    assert.ok(all.length > 0 && all.every((h) => h.status === 'alive' && typeof h.vm === 'string'), r.stdout);
  } else if (sub === 'lab list') {
    assert.ok(Array.isArray((parseJson(r, line) as { vms?: unknown }).vms), r.stdout);
  } else if (sub === 'lab mem' && /\s--consume\b/.test(line) && !/\s--wait\b/.test(line)) {
    assert.match(r.stderr, /consuming \d+ MiB/);
  } else if (sub === 'lab mem' || sub === 'lab cpu') {
    assert.equal(typeof (parseJson(r, line) as { vm?: unknown }).vm, 'string', r.stdout);
  } else if (sub === 'lab exec') {
    assert.notEqual(r.stdout.trim(), '', `${line}: printed nothing`);
  } else if (/^\s*[[{]/.test(r.stdout)) {
    parseJson(r, line);
  }
}

describe('README.md `npx ballast` commands, as written', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  const undos: string[][] = [];

  after(async () => {
    const bin = path.join(REPO, 'packages/cli/dist/bin.js');
    for (const args of undos) {
      const r = await run(process.execPath, [bin, ...args], { cwd: REPO, timeout: 60000 }).catch((e: Error) => e);
      if (r instanceof Error) throw new Error(`undo 'ballast ${args.join(' ')}' failed: ${r.message}`);
    }
  });

  test('README.md has `npx ballast lab` lines in its sh blocks', () => {
    assert.ok(commands.length >= 3, `found only: ${JSON.stringify(commands)}`);
  });

  for (const line of commands) {
    test(line, async () => {
      const undo = undoOf(line);
      if (undo) undos.push(undo);
      const r = await shell(line);
      assert.equal(r.code, 0, `${line}: exit ${r.code}\nstdout: ${r.stdout.slice(0, 1000)}\nstderr: ${r.stderr.slice(0, 1000)}`);
      assertPlausible(line, r);
    });
  }
});
