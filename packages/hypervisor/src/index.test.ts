// The package index is what production services import: it must carry no simulator. The simulator lives
// in @ballast/sim, which depends on this package, never the other way round.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as index from './index.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// An ESM loader hook that appends the URL of every module Node loads to the file named by $LOADED_LOG.
const RECORDER_HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return nextLoad(url, context);
}
`;
const RECORDER_REGISTER = `
import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url));
`;

/** Every module URL a fresh Node process loads to import `specifier` (resolved from this package's folder). */
function modulesLoadedBy(specifier: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-loaded-'));
  try {
    writeFileSync(join(dir, 'hooks.mjs'), RECORDER_HOOKS);
    writeFileSync(join(dir, 'register.mjs'), RECORDER_REGISTER);
    const log = join(dir, 'loaded.log');
    writeFileSync(log, '');
    execFileSync(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', `await import(${JSON.stringify(specifier)});`],
      { cwd: packageDir, env: { ...process.env, LOADED_LOG: log }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The name in the package.json nearest to a file: URL (undefined for node: and other URLs). */
function packageOf(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  for (let dir = dirname(fileURLToPath(url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  }
  return undefined;
}

test('the index exports no simulator (no export named Sim*)', () => {
  const simNames = Object.keys(index).filter((name) => /^sim/i.test(name));
  assert.deepEqual(simNames, []);
  assert.equal(typeof index.openHypervisor, 'function');
  assert.equal(typeof index.LibvirtHypervisor, 'function');
});

test('importing @ballast/hypervisor loads no module of @ballast/sim', () => {
  const loaded = modulesLoadedBy('@ballast/hypervisor');
  const packages = new Set(loaded.map(packageOf));
  // The recorder works: it saw this package's index and the binding's TS layer.
  assert.ok(loaded.includes(pathToFileURL(join(packageDir, 'dist', 'index.js')).href), `index.js not among ${loaded.length} loaded modules`);
  assert.ok(packages.has('@ballast/hypervisor') && packages.has('@ballast/libvirt'), [...packages].join(', '));
  assert.deepEqual(
    loaded.filter((url) => packageOf(url) === '@ballast/sim'),
    [],
    'production code that imports @ballast/hypervisor must not load the simulator',
  );
});
