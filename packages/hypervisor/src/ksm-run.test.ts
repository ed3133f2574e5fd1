import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { ErrorCode, LibvirtError, isInvalidArg, isNoSupport } from '@ballast/libvirt';

import { KSM_RUN_PATH, isLocalUri, ksmRunNotLocal, readKsmRun, writeKsmRun } from './ksm-run.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-ksm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('local URIs: no host, no transport or unix; the test driver is not a host', () => {
  for (const uri of ['qemu:///system', 'qemu:///session', 'qemu+unix:///system?socket=/run/h2/libvirt-sock', 'QEMU+UNIX:///system']) {
    assert.equal(isLocalUri(uri), true, uri);
  }
  for (const uri of ['qemu+tcp://10.77.0.2/system', 'qemu+ssh://root@h2/system', 'qemu://localhost/system', 'test:///default', 'sim://h1', 'lab']) {
    assert.equal(isLocalUri(uri), false, uri);
  }
});

test('the not-local error is NO_SUPPORT and says why', () => {
  const err = ksmRunNotLocal('qemu+tcp://10.77.0.2/system');
  assert.ok(isNoSupport(err));
  assert.match(err.message, /qemu\+tcp:\/\/10\.77\.0\.2\/system/);
  assert.ok(err.message.includes(KSM_RUN_PATH));
});

test('run is read and written as names', async () => {
  const path = join(dir, 'run');
  writeFileSync(path, '0\n');
  assert.equal(await readKsmRun(path), 'stop');
  for (const [run, text] of [['run', '1'], ['unmerge', '2'], ['stop', '0']] as const) {
    await writeKsmRun(run, path);
    assert.equal(readFileSync(path, 'utf8'), text);
    assert.equal(await readKsmRun(path), run);
  }
  await assert.rejects(writeKsmRun('fast' as never, path), (err: unknown) => isInvalidArg(err));
  writeFileSync(path, '7\n');
  await assert.rejects(readKsmRun(path), /unexpected KSM run value '7'/);
});

test('a kernel without KSM → NO_SUPPORT', async () => {
  const missing = join(dir, 'absent', 'run');
  await assert.rejects(readKsmRun(missing), (err: unknown) => isNoSupport(err) && /no KSM/.test(err.message));
  await assert.rejects(writeKsmRun('run', missing), (err: unknown) => err instanceof LibvirtError && err.code === ErrorCode.NO_SUPPORT);
});
