import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../cli-error.js';
import { configFilePath, DEFAULT_API_URL, DEFAULT_TOKEN_FILE, resolveApiConfig } from './api-config.js';

const HOME = '/home/op';
const CONFIG = '/home/op/.config/ballast/cli.json';

function files(map: Record<string, string>) {
  return (f: string) => map[f];
}

test('defaults: the local engine, no token when no file can be read', () => {
  const c = resolveApiConfig({ flags: {}, env: {}, readText: files({}), home: HOME });
  assert.equal(c.apiUrl, DEFAULT_API_URL);
  assert.equal(c.token, undefined);
  assert.deepEqual(c.sources, { apiUrl: 'default', token: 'none' });
  assert.equal(c.configFile, CONFIG);
});

test('flags beat the environment, which beats the config file', () => {
  const read = files({ [CONFIG]: JSON.stringify({ apiUrl: 'http://config:1', token: 'from-config' }) });
  const env = { BALLAST_API_URL: 'http://env:2/', BALLAST_API_TOKEN: 'from-env' };
  const all = resolveApiConfig({ flags: { apiUrl: 'http://flag:3', token: 'from-flag' }, env, readText: read, home: HOME });
  assert.deepEqual([all.apiUrl, all.token, all.sources.apiUrl, all.sources.token], ['http://flag:3', 'from-flag', 'flag', 'flag']);
  const noFlags = resolveApiConfig({ flags: {}, env, readText: read, home: HOME });
  assert.deepEqual([noFlags.apiUrl, noFlags.token, noFlags.sources.token], ['http://env:2', 'from-env', 'env']);
  const fileOnly = resolveApiConfig({ flags: {}, env: {}, readText: read, home: HOME });
  assert.deepEqual([fileOnly.apiUrl, fileOnly.token, fileOnly.sources.apiUrl], ['http://config:1', 'from-config', 'config-file']);
});

test('token: BALLAST_API_TOKEN_FILE beats the config file; the default token file comes last', () => {
  const read = files({ '/run/tok': 'file-token\n', [CONFIG]: '{"token": "config-token"}', [DEFAULT_TOKEN_FILE]: 'engine-token\n' });
  const named = resolveApiConfig({ flags: {}, env: { BALLAST_API_TOKEN_FILE: '/run/tok' }, readText: read, home: HOME });
  assert.deepEqual([named.token, named.sources.token], ['file-token', 'token-file']);
  const config = resolveApiConfig({ flags: {}, env: {}, readText: read, home: HOME });
  assert.deepEqual([config.token, config.sources.token], ['config-token', 'config-file']);
  const engine = resolveApiConfig({ flags: {}, env: {}, readText: files({ [DEFAULT_TOKEN_FILE]: 'engine-token\n' }), home: HOME });
  assert.deepEqual([engine.token, engine.sources.token], ['engine-token', 'token-file']);
  // an unreadable named file does not fall back to the default one
  const unreadable = resolveApiConfig({ flags: {}, env: { BALLAST_API_TOKEN_FILE: '/nope' }, readText: files({ [DEFAULT_TOKEN_FILE]: 'x' }), home: HOME });
  assert.equal(unreadable.token, undefined);
});

test('empty values count as unset', () => {
  const c = resolveApiConfig({ flags: { token: '' }, env: { BALLAST_API_URL: '  ', BALLAST_API_TOKEN: '' }, readText: files({}), home: HOME });
  assert.deepEqual([c.apiUrl, c.token], [DEFAULT_API_URL, undefined]);
});

test('the config file path follows BALLAST_CLI_CONFIG, then XDG_CONFIG_HOME', () => {
  assert.equal(configFilePath({ BALLAST_CLI_CONFIG: '/etc/b.json', XDG_CONFIG_HOME: '/x' }, HOME), '/etc/b.json');
  assert.equal(configFilePath({ XDG_CONFIG_HOME: '/x' }, HOME), '/x/ballast/cli.json');
  assert.equal(configFilePath({}, HOME), CONFIG);
});

test('a malformed config file or URL is a usage error naming it', () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message);
  assert.throws(() => resolveApiConfig({ flags: {}, env: {}, readText: files({ [CONFIG]: '{' }), home: HOME }), usage(/cli\.json: not valid JSON/));
  assert.throws(() => resolveApiConfig({ flags: {}, env: {}, readText: files({ [CONFIG]: '{"url": "x"}' }), home: HOME }), usage(/unknown key 'url'/));
  assert.throws(() => resolveApiConfig({ flags: {}, env: {}, readText: files({ [CONFIG]: '{"token": 5}' }), home: HOME }), usage(/token must be a non-empty string/));
  assert.throws(() => resolveApiConfig({ flags: { apiUrl: 'localhost:8080' }, env: {}, readText: files({}), home: HOME }), usage(/^--api-url: must be an http/));
  assert.throws(() => resolveApiConfig({ flags: {}, env: { BALLAST_API_URL: 'not a url' }, readText: files({}), home: HOME }), usage(/^BALLAST_API_URL: not a URL/));
});
