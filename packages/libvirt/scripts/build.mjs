#!/usr/bin/env node
// Builds @ballast/libvirt: the native addon (only when a native source is newer than the .node
// file, or with --force) and then the TS layer (tsc -b). npm 11 runs no install scripts here, so
// this is the way the addon gets built; `make` and `npm run build -w @ballast/libvirt` call it.
//
//   node scripts/build.mjs [--force] [--native-only]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(pkgDir, 'build', 'Release', 'ballast_libvirt.node');
const force = process.argv.includes('--force');
const nativeOnly = process.argv.includes('--native-only');
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`@ballast/libvirt build: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: pkgDir, stdio: 'inherit' });
  if (res.error) fail(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) fail(`${[cmd, ...args].join(' ')} exited with ${res.status}`);
}

function newestSourceMtime() {
  const sources = [join(pkgDir, 'binding.gyp'), ...readdirSync(join(pkgDir, 'native')).map((f) => join(pkgDir, 'native', f))];
  return Math.max(...sources.map((f) => statSync(f).mtimeMs));
}

// Local Node headers: never let node-gyp download them (no network here).
function nodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  for (const dir of ['/usr', dirname(dirname(process.execPath))]) {
    if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return undefined;
}

const stale = force || !existsSync(addon) || statSync(addon).mtimeMs < newestSourceMtime();
if (stale) {
  const pc = spawnSync('pkg-config', ['--exists', 'libvirt']);
  if (pc.error || pc.status !== 0) fail('libvirt development files not found (apt-get install libvirt-dev pkg-config)');
  const dir = nodedir();
  if (!dir) fail('Node headers not found (expected /usr/include/node or <prefix>/include/node); set npm_config_nodedir');
  let gyp;
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    fail('node-gyp is not installed (it is a root devDependency: run npm install at the repository root)');
  }
  run(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`]);
  if (!existsSync(addon)) fail(`node-gyp finished but ${addon} is missing`);
} else {
  console.log('@ballast/libvirt build: native addon up to date');
}

if (!nativeOnly) {
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', pkgDir]);
}
