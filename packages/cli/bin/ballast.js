#!/usr/bin/env node
// The `ballast` command that npm links into node_modules/.bin. It is committed, not built: npm makes the
// link only when the bin target exists at install time, and `npm install` runs before `tsc -b`.
// It loads the compiled CLI (dist/bin.js), or says in one line how to build it.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('ballast: the CLI is not built yet (packages/cli/dist/bin.js is missing): run `make build` in the repository root');
  process.exitCode = 69; // EX_UNAVAILABLE
}
