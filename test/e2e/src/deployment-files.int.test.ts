// The deployment files cannot drift from the code: every variable the example env files (infra/examples/)
// and the systemd units (infra/systemd/) name is a setting of that service's config schema, every setting is
// in its example, commented defaults are the schema's defaults, the values parse, the example policy
// document is one the engine accepts, and the units parse (`systemd-analyze verify`, plus a structural check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { actuatorConfigSchema } from '@ballast/actuator';
import { collectorConfigSchema } from '@ballast/collector';
import { validatePolicies } from '@ballast/cycle';
import { builtinPolicies } from '@ballast/domain';
import { engineConfigSchema, loadPolicyDocument } from '@ballast/policy-engine';
import { envVarName, loadConfig } from '@ballast/runtime';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface ServiceDef {
  name: 'collector' | 'actuator' | 'policy-engine';
  schema: z.ZodObject;
  /** The un-prefixed names its main.ts gives createServiceScaffold. */
  aliases: Record<string, string>;
}

const SERVICES: ServiceDef[] = [
  { name: 'collector', schema: collectorConfigSchema, aliases: { libvirtUri: 'LIBVIRT_URI' } },
  { name: 'actuator', schema: actuatorConfigSchema, aliases: { libvirtUri: 'LIBVIRT_URI', redisUrl: 'REDIS_URL' } },
  { name: 'policy-engine', schema: engineConfigSchema, aliases: { redisUrl: 'REDIS_URL' } },
];

/** Read outside the schemas: the config file's path (loadConfig), the host id (resolveHostId), libuv's pool. */
const OUTSIDE_SCHEMA = new Set(['BALLAST_CONFIG', 'BALLAST_HOST_ID', 'UV_THREADPOOL_SIZE']);

interface Assignment {
  name: string;
  value: string;
  commented: boolean;
  line: number;
}

/** `NAME=value` lines, and `#NAME=value` ones (settings shown with their default, or as an option). */
function assignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim());
    if (m) out.push({ name: m[2] as string, value: (m[3] as string).trim(), commented: m[1] !== undefined, line: i + 1 });
  });
  return out;
}

/** env name → schema key, for a service (its BALLAST_ names and its aliases). */
function envNames(s: ServiceDef): Map<string, string> {
  const names = new Map<string, string>();
  for (const key of Object.keys(s.schema.shape)) names.set(envVarName(key), key);
  for (const [key, alias] of Object.entries(s.aliases)) names.set(alias, key);
  return names;
}

for (const s of SERVICES) {
  test(`infra/examples/${s.name}.env names only ${s.name} settings, names every one, and its values parse`, () => {
    const file = path.join(REPO, 'infra/examples', `${s.name}.env`);
    const vars = assignments(readFileSync(file, 'utf8'));
    const names = envNames(s);
    const unknown = vars.filter((v) => !names.has(v.name) && !OUTSIDE_SCHEMA.has(v.name)).map((v) => `${v.name} (line ${v.line})`);
    assert.deepEqual(unknown, [], `${file}: not settings of the ${s.name}`);
    const listed = new Set(vars.map((v) => names.get(v.name)).filter((k) => k !== undefined));
    const missing = Object.keys(s.schema.shape).filter((k) => !listed.has(k)).map((k) => envVarName(k));
    assert.deepEqual(missing, [], `${file}: settings of the ${s.name} it does not show`);
    // commented lines with a value show the default, where the schema has one
    const defaults = s.schema.parse({}) as Record<string, unknown>;
    for (const v of vars.filter((a) => a.commented && a.value !== '')) {
      const key = names.get(v.name);
      const d = key === undefined ? undefined : defaults[key];
      if (d !== undefined && typeof d !== 'object') assert.equal(v.value, String(d), `${file}:${v.line}: ${v.name} is shown with a value that is not its default`);
    }
    // every value, commented or not, is one the service accepts
    const env = Object.fromEntries(vars.filter((v) => v.name !== 'BALLAST_CONFIG').map((v) => [v.name, v.value]));
    assert.doesNotThrow(() => loadConfig(s.schema, { env, file: null, aliases: s.aliases }), `${file}: a value the ${s.name} refuses`);
  });
}

test('infra/examples/policy.json is a policy document the engine accepts, every policy in recommend mode', () => {
  const entries = loadPolicyDocument(path.join(REPO, 'infra/examples/policy.json'));
  assert.doesNotThrow(() => validatePolicies(builtinPolicies(), entries));
  assert.deepEqual(entries.map((e) => e.name).sort(), [...builtinPolicies().names()].sort());
  assert.ok(entries.every((e) => e.automation === 'recommend'), JSON.stringify(entries));
});

/** `[Section]` → `Key` → values, of a unit file. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
    const sec = /^\[([A-Za-z]+)\]$/.exec(l);
    if (sec) {
      current = new Map();
      sections.set(sec[1] as string, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(l);
    assert.ok(kv && current, `not a unit file line: ${l}`);
    current.set(kv[1] as string, [...(current.get(kv[1] as string) ?? []), (kv[2] as string).trim()]);
  }
  return sections;
}

const UNITS = readdirSync(path.join(REPO, 'infra/systemd')).filter((f) => f.endsWith('.service'));

test('infra/systemd has a unit per service: its env file, restart on failure but not on a config error, hardened', () => {
  assert.deepEqual(UNITS.sort(), SERVICES.map((s) => `ballast-${s.name}.service`).sort());
  for (const s of SERVICES) {
    const unit = parseUnit(readFileSync(path.join(REPO, 'infra/systemd', `ballast-${s.name}.service`), 'utf8'));
    assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install'], s.name);
    const svc = unit.get('Service') as Map<string, string[]>;
    const one = (k: string) => svc.get(k)?.[0];
    assert.equal(one('EnvironmentFile'), `/etc/ballast/${s.name}.env`);
    assert.equal(one('ExecStart'), `/usr/bin/node /opt/ballast/services/${s.name}/dist/main.js`);
    assert.ok(existsSync(path.join(REPO, 'services', s.name, 'src/main.ts')));
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('RestartPreventExitStatus'), '2');
    for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'RestrictSUIDSGID', 'LockPersonality']) assert.equal(one(k), 'yes', `${s.name}: ${k}`);
    assert.equal(one('ProtectSystem'), 'strict', s.name);
    assert.equal(one('CapabilityBoundingSet'), '', s.name);
    assert.equal(unit.get('Install')?.get('WantedBy')?.[0], 'multi-user.target');
    // Environment= lines name settings too
    const names = envNames(s);
    for (const e of svc.get('Environment') ?? []) {
      for (const name of e.split(/\s+/).map((p) => p.split('=')[0] ?? '')) assert.ok(names.has(name) || OUTSIDE_SCHEMA.has(name), `${s.name}: Environment=${name}`);
    }
  }
});

test('systemd-analyze verify finds nothing wrong in the units', (t) => {
  if (spawnSync('systemd-analyze', ['--version']).error) return t.skip('systemd-analyze is not installed (the structural check above still runs)');
  // verify wants the EnvironmentFile and the ExecStart binary to exist: a copy of each unit pointing at temporary ones
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ballast-units-'));
  for (const unit of UNITS) {
    const name = unit.replace(/^ballast-|\.service$/g, '');
    const env = path.join(dir, `${name}.env`);
    writeFileSync(env, readFileSync(path.join(REPO, 'infra/examples', `${name}.env`)));
    const text = readFileSync(path.join(REPO, 'infra/systemd', unit), 'utf8').replace(`EnvironmentFile=/etc/ballast/${name}.env`, `EnvironmentFile=${env}`);
    writeFileSync(path.join(dir, unit), text);
  }
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...UNITS.map((u) => path.join(dir, u))], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  assert.equal(r.status, 0, lines.join('\n'));
  assert.deepEqual(lines, [], 'systemd-analyze verify printed problems');
});

const REDIS_DROP_IN = path.join(REPO, 'infra/systemd/redis-server.service.d/ballast.conf');

test("the redis-server drop-in gives Redis the CPU first, and systemd reads it without a complaint", (t) => {
  const unit = parseUnit(readFileSync(REDIS_DROP_IN, 'utf8'));
  assert.deepEqual([...unit.keys()], ['Service']);
  const svc = unit.get('Service') as Map<string, string[]>;
  assert.ok(Number(svc.get('CPUWeight')?.[0]) > 100, 'CPUWeight above the default of 100');
  assert.ok(Number(svc.get('Nice')?.[0]) < 0, 'Nice below 0');
  if (spawnSync('systemd-analyze', ['--version']).error) return t.skip('systemd-analyze is not installed (the structural check above still runs)');
  // a stand-in redis-server.service with the drop-in beside it, on the unit path systemd-analyze searches
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ballast-redis-unit-'));
  writeFileSync(path.join(dir, 'redis-server.service'), '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n');
  mkdirSync(path.join(dir, 'redis-server.service.d'));
  writeFileSync(path.join(dir, 'redis-server.service.d', 'ballast.conf'), readFileSync(REDIS_DROP_IN));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'redis-server.service')], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  assert.equal(r.status, 0, lines.join('\n'));
  assert.deepEqual(lines, [], 'systemd-analyze verify printed problems');
});
