import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { exitOnConfigError } from './exit-on-config-error.js';
import { envVarName, loadConfig } from './load-config.js';

const schema = z.object({
  hostId: z.string().optional(),
  libvirtUri: z.string().min(1).default('qemu:///system'),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  minMemoryMiB: z.number().int().min(64).default(200),
  dryRun: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  peers: z.array(z.string()).default([]),
  weights: z.array(z.number()).default([]),
  limits: z.object({ maxVms: z.number().int() }).default({ maxVms: 10 }),
  grpcToken: z.string().min(16).optional(),
});

const dir = mkdtempSync(join(tmpdir(), 'ballast-config-'));
function jsonFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The ConfigError thrown by fn (fails the test if none). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `message must be one line: ${err.message}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('envVarName', () => {
  it('maps camelCase keys to BALLAST_SNAKE_UPPER, keeping unit suffixes whole', () => {
    assert.equal(envVarName('httpPort'), 'BALLAST_HTTP_PORT');
    assert.equal(envVarName('minMemoryMiB'), 'BALLAST_MIN_MEMORY_MIB');
    assert.equal(envVarName('tlsCaFile'), 'BALLAST_TLS_CA_FILE');
    assert.equal(envVarName('logLevel', 'X_'), 'X_LOG_LEVEL');
  });
});

describe('loadConfig precedence', () => {
  it('returns schema defaults when nothing is set', () => {
    const config = loadConfig(schema, { env: {} });
    assert.equal(config.httpPort, 8080);
    assert.equal(config.libvirtUri, 'qemu:///system');
    assert.deepEqual(config.limits, { maxVms: 10 });
    assert.equal(config.hostId, undefined);
    // Typed result: a misspelt key does not compile (this line would compile if the result were `any`).
    // @ts-expect-error -- no such key
    assert.equal(config.htpPort, undefined);
    const port: number = config.httpPort;
    assert.equal(port, 8080);
  });

  it('file overrides defaults, env overrides file', () => {
    const file = jsonFile('precedence.json', { httpPort: 9000, logLevel: 'debug', dryRun: true });
    const config = loadConfig(schema, { env: { BALLAST_HTTP_PORT: '9100' }, file });
    assert.equal(config.httpPort, 9100, 'env wins over file');
    assert.equal(config.logLevel, 'debug', 'file wins over default');
    assert.equal(config.dryRun, true);
    assert.equal(config.minMemoryMiB, 200, 'default stays');
  });

  it('finds the file through BALLAST_CONFIG, and file: null ignores it', () => {
    const file = jsonFile('via-env.json', { httpPort: 7000 });
    assert.equal(loadConfig(schema, { env: { BALLAST_CONFIG: file } }).httpPort, 7000);
    assert.equal(loadConfig(schema, { env: { BALLAST_CONFIG: file }, file: null }).httpPort, 8080);
  });

  it('reads un-prefixed aliases, and the prefixed name wins over an alias', () => {
    const aliases = { libvirtUri: 'LIBVIRT_URI' };
    assert.equal(loadConfig(schema, { env: { LIBVIRT_URI: 'test:///default' }, aliases }).libvirtUri, 'test:///default');
    const both = { LIBVIRT_URI: 'test:///default', BALLAST_LIBVIRT_URI: 'qemu+tcp://h/system' };
    assert.equal(loadConfig(schema, { env: both, aliases }).libvirtUri, 'qemu+tcp://h/system');
    // @ts-expect-error -- aliases are keyed by schema keys
    loadConfig(schema, { env: {}, aliases: { libvirtUrl: 'LIBVIRT_URI' } });
  });

  it('honours another env prefix', () => {
    assert.equal(loadConfig(schema, { env: { BALLAST_HTTP_PORT: '1', X_HTTP_PORT: '2' }, envPrefix: 'X_' }).httpPort, 2);
  });

  it('treats an empty env var as unset', () => {
    assert.equal(loadConfig(schema, { env: { BALLAST_HTTP_PORT: '' } }).httpPort, 8080);
  });
});

describe('loadConfig coercion of env strings', () => {
  it('coerces numbers, booleans, enums, lists and JSON objects', () => {
    const config = loadConfig(schema, {
      env: {
        BALLAST_HTTP_PORT: ' 8443 ',
        BALLAST_MIN_MEMORY_MIB: '512',
        BALLAST_DRY_RUN: 'yes',
        BALLAST_LOG_LEVEL: 'warn',
        BALLAST_PEERS: 'a:1, b:2',
        BALLAST_WEIGHTS: '[1.5, 2]',
        BALLAST_LIMITS: '{"maxVms": 40}',
      },
    });
    assert.equal(config.httpPort, 8443);
    assert.equal(config.minMemoryMiB, 512);
    assert.equal(config.dryRun, true);
    assert.equal(config.logLevel, 'warn');
    assert.deepEqual(config.peers, ['a:1', 'b:2']);
    assert.deepEqual(config.weights, [1.5, 2]);
    assert.deepEqual(config.limits, { maxVms: 40 });
  });

  it('accepts false/0/no/off for booleans', () => {
    for (const word of ['false', '0', 'NO', 'off']) {
      assert.equal(loadConfig(schema, { env: { BALLAST_DRY_RUN: word }, file: jsonFile('t.json', { dryRun: true }) }).dryRun, false, word);
    }
  });
});

describe('loadConfig errors: one line naming field, source and problem', () => {
  it('bad env number', () => {
    const err = configError(() => loadConfig(schema, { env: { BALLAST_HTTP_PORT: 'abc' } }));
    assert.equal(err.message, 'config: BALLAST_HTTP_PORT="abc" — expected a number');
    assert.equal(err.field, 'httpPort');
    assert.equal(err.source, 'BALLAST_HTTP_PORT');
  });

  it('env number out of range, not an integer, bad boolean, bad enum, bad list item', () => {
    assert.equal(configError(() => loadConfig(schema, { env: { BALLAST_HTTP_PORT: '70000' } })).message, 'config: BALLAST_HTTP_PORT="70000" — must be at most 65535');
    assert.equal(configError(() => loadConfig(schema, { env: { BALLAST_HTTP_PORT: '80.5' } })).message, 'config: BALLAST_HTTP_PORT="80.5" — expected an integer');
    assert.match(configError(() => loadConfig(schema, { env: { BALLAST_DRY_RUN: 'maybe' } })).message, /^config: BALLAST_DRY_RUN="maybe" — expected true or false/);
    assert.equal(
      configError(() => loadConfig(schema, { env: { BALLAST_LOG_LEVEL: 'loud' } })).message,
      'config: BALLAST_LOG_LEVEL="loud" — expected one of "fatal", "error", "warn", "info", "debug", "trace"',
    );
    assert.equal(configError(() => loadConfig(schema, { env: { BALLAST_WEIGHTS: '1,x' } })).message, 'config: BALLAST_WEIGHTS="1,x" — item 2 "x": expected a number');
  });

  it('names the alias when the bad value came through one, and the inner path of JSON values', () => {
    const err = configError(() => loadConfig(schema, { env: { PORT: 'x' }, aliases: { httpPort: ['HTTP_PORT', 'PORT'] } }));
    assert.equal(err.message, 'config: PORT="x" — expected a number');
    assert.equal(err.source, 'PORT');
    const err2 = configError(() => loadConfig(schema, { env: { BALLAST_LIMITS: '{"maxVms":"x"}' } }));
    assert.equal(err2.message, 'config: BALLAST_LIMITS="{\\"maxVms\\":\\"x\\"}" — maxVms: expected a number, got a string');
  });

  it('does not print secret values', () => {
    const err = configError(() => loadConfig(schema, { env: { BALLAST_GRPC_TOKEN: 'hunter2' } }));
    assert.equal(err.message, 'config: BALLAST_GRPC_TOKEN=<redacted, 7 chars> — must be at least 16 characters long');
    assert.ok(!err.message.includes('hunter2'));
    const url = z.object({ redisUrl: z.string().startsWith('rediss://') });
    const e2 = configError(() => loadConfig(url, { env: { REDIS_URL: 'redis://app:hunter3@h:1' }, aliases: { redisUrl: 'REDIS_URL' } }));
    assert.match(e2.message, /^config: REDIS_URL="redis:\/\/app:\*\*\*@h:1" — /);
    const e3 = configError(() => loadConfig(url, { env: {}, file: jsonFile('redis-url.json', { redisUrl: 'redis://:hunter4@h:1' }) }));
    assert.match(e3.message, /^config: redisUrl="redis:\/\/:\*\*\*@h:1" in .*redis-url\.json — /);
  });

  it('bad file value names field, value and file', () => {
    const file = jsonFile('bad-value.json', { httpPort: '8080' });
    const err = configError(() => loadConfig(schema, { env: {}, file }));
    assert.equal(err.message, `config: httpPort="8080" in ${file} — expected a number, got a string`);
    assert.equal(err.source, file);
    const nested = jsonFile('bad-nested.json', { limits: { maxVms: 1.5 } });
    assert.equal(configError(() => loadConfig(schema, { env: {}, file: nested })).message, `config: limits.maxVms=1.5 in ${nested} — expected an integer`);
  });

  it('unknown key in the file, with a suggestion', () => {
    const file = jsonFile('unknown.json', { htpPort: 1 });
    const err = configError(() => loadConfig(schema, { env: {}, file }));
    assert.equal(err.message, `config: ${file} — unknown key "htpPort" (did you mean "httpPort"?)`);
    assert.equal(err.field, 'htpPort');
    const other = jsonFile('unknown2.json', { colour: 'blue' });
    assert.equal(configError(() => loadConfig(schema, { env: {}, file: other })).message, `config: ${other} — unknown key "colour"`);
  });

  it('unreadable file names the path and where it came from', () => {
    const missing = join(dir, 'nope.json');
    assert.equal(configError(() => loadConfig(schema, { env: { BALLAST_CONFIG: missing } })).message, `config: ${missing} (BALLAST_CONFIG) — cannot read: no such file`);
    assert.equal(configError(() => loadConfig(schema, { env: {}, file: dir })).message, `config: ${dir} (file option) — cannot read: is a directory`);
  });

  it('invalid JSON and non-object JSON', () => {
    const broken = jsonFile('broken.json', '{"httpPort": 80,\n  oops }');
    const err = configError(() => loadConfig(schema, { env: {}, file: broken }));
    assert.match(err.message, new RegExp(`^config: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} — invalid JSON: `));
    const array = jsonFile('array.json', [1, 2]);
    assert.equal(configError(() => loadConfig(schema, { env: {}, file: array })).message, `config: ${array} — expected a JSON object of settings, got an array`);
  });

  it('a missing required field says how to set it', () => {
    const required = z.object({ hostId: z.string(), httpPort: z.number().default(1) });
    const err = configError(() => loadConfig(required, { env: {} }));
    assert.equal(err.message, 'config: hostId is required — set BALLAST_HOST_ID or "hostId" in the config file');
  });

  it("keeps a schema's own message", () => {
    const custom = z.object({ name: z.string().regex(/^[a-z]+$/, 'lower-case letters only') });
    assert.equal(configError(() => loadConfig(custom, { env: { BALLAST_NAME: 'X1' } })).message, 'config: BALLAST_NAME="X1" — lower-case letters only');
  });
});

describe('exitOnConfigError', () => {
  it('prints the one line and exits 2 on a ConfigError', () => {
    const lines: string[] = [];
    const codes: number[] = [];
    assert.throws(() =>
      exitOnConfigError(() => loadConfig(schema, { env: { BALLAST_HTTP_PORT: 'abc' } }), {
        writeStderr: (line) => lines.push(line),
        exit: (code) => void codes.push(code),
      }),
    );
    assert.deepEqual(lines, ['config: BALLAST_HTTP_PORT="abc" — expected a number\n']);
    assert.deepEqual(codes, [2]);
  });

  it('returns the value, and re-throws other errors untouched', async () => {
    assert.equal(exitOnConfigError(() => 42), 42);
    assert.equal(await exitOnConfigError(async () => 'ok'), 'ok');
    const boom = new TypeError('boom');
    assert.throws(() => exitOnConfigError(() => { throw boom; }, { exit: () => assert.fail('must not exit') }), boom);
  });

  it('in a real process: stderr is exactly one line and the exit code is 2', () => {
    const moduleUrl = new URL('./index.js', import.meta.url).href;
    const script = `
      import { z } from 'zod';
      import { exitOnConfigError, loadConfig } from ${JSON.stringify(moduleUrl)};
      exitOnConfigError(() => loadConfig(z.object({ httpPort: z.number().default(1) })));
      console.log('not reached');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH, BALLAST_HTTP_PORT: 'abc' },
      encoding: 'utf8',
    });
    assert.equal(child.status, 2);
    assert.equal(child.stderr, 'config: BALLAST_HTTP_PORT="abc" — expected a number\n');
    assert.equal(child.stdout, '');
  });
});
