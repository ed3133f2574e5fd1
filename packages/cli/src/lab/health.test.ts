import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyHealth, type HealthInputs } from './health.js';
import { scanSerialLog } from './serial-log.js';

const ready = scanSerialLog('ballast-lab: BALLAST-LAB-READY uptime=6s\n');
const base: HealthInputs = { findings: ready, serialLogError: null, domState: 'running (booted)', agentOk: true, agentError: null };

test('alive: running, agent answers, nothing bad in the log', () => {
  assert.deepEqual(classifyHealth(base), { status: 'alive', detail: 'ok' });
});

test('panicked: from the serial log, even when the agent answered earlier', () => {
  const findings = scanSerialLog('[ 9.1] Kernel panic - not syncing: System is deadlocked on memory\n');
  const h = classifyHealth({ ...base, findings, agentOk: false, agentError: 'timeout' });
  assert.equal(h.status, 'panicked');
  assert.equal(h.detail, 'Kernel panic - not syncing: System is deadlocked on memory');
});

test("panicked: libvirt's crashed state (pvpanic) when the log has no panic line yet", () => {
  const h = classifyHealth({ ...base, domState: 'crashed (panicked)', agentOk: false, agentError: 'timeout' });
  assert.equal(h.status, 'panicked');
  assert.match(h.detail, /crashed \(panicked\)/);
});

test('oom-killed: OOM kills without a panic, agent state in the detail', () => {
  const findings = scanSerialLog(
    'BALLAST-LAB-READY\n[ 19.19] Out of memory: Killed process 132 (sh) total-vm:2260kB\n',
  );
  const h = classifyHealth({ ...base, findings });
  assert.equal(h.status, 'oom-killed');
  assert.match(h.detail, /^1 OOM kill\(s\), last: Out of memory: Killed process 132 \(sh\).*; agent answers$/);
});

test('unreachable: agent silent, with the reasons we know', () => {
  const h = classifyHealth({
    ...base,
    findings: scanSerialLog('SeaBIOS\n'),
    domState: 'shut off (destroyed)',
    agentOk: false,
    agentError: 'agent of lab-vm1 unreachable: no control socket',
  });
  assert.equal(h.status, 'unreachable');
  assert.match(h.detail, /no control socket; domain is shut off \(destroyed\); no ready marker/);
});

test('unreachable when the serial log cannot be read and the agent is silent', () => {
  const h = classifyHealth({ ...base, findings: null, serialLogError: 'cannot read serial log: ENOENT', agentOk: false, agentError: 'x' });
  assert.equal(h.status, 'unreachable');
  assert.match(h.detail, /ENOENT/);
});
