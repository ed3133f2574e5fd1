import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanSerialLog } from './serial-log.js';

// Shapes taken from real lab guests (Debian 6.1 kernel, busybox init) on this machine.
const BOOT =
  '\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n' +
  '[    1.433731] acpi PNP0A03:00: fail to add MMCONFIG information\r\n' +
  'ballast-lab: init on 6.1.0-56-amd64\r\n' +
  'ballast-lab: zram swap 64M on\r\n' +
  'ballast-lab: BALLAST-LAB-READY uptime=5.95s MemTotal: 1639616 kB\r\n' +
  'ballast-agent: listening on /dev/vport0p1 (org.ballast.ctl)\r\n';

const OOM_THEN_PANIC =
  '[   19.161923] cat invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=0\r\n' +
  '[   19.191494] Out of memory: Killed process 132 (sh) total-vm:2260kB, anon-rss:120kB, file-rss:4kB, shmem-rss:1728kB, UID:0 pgtables:28kB oom_score_adj:0\r\n' +
  '[   19.227472] Out of memory: Killed process 178 (cat) total-vm:2324kB, anon-rss:52kB, file-rss:4kB, shmem-rss:1408kB, UID:0 pgtables:36kB oom_score_adj:0\r\n' +
  '[   22.057230] Out of memory and no killable processes...\r\n' +
  '[   22.057477] Kernel panic - not syncing: System is deadlocked on memory\r\n' +
  '[   22.057638] CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-56-amd64 #1  Debian 6.1.192-2\r\n' +
  '[   22.060580]  panic+0x118/0x2f4\r\n';

test('a clean boot is ready, with no panic and no OOM kill', () => {
  assert.deepEqual(scanSerialLog(BOOT), { panic: undefined, oomKills: [], ready: true, agentRestarts: 0 });
});

test('finds OOM kills and the panic line, without timestamps', () => {
  const f = scanSerialLog(BOOT + OOM_THEN_PANIC);
  assert.equal(f.panic, 'Kernel panic - not syncing: System is deadlocked on memory');
  assert.equal(f.oomKills.length, 2);
  assert.match(f.oomKills[1] ?? '', /^Out of memory: Killed process 178 \(cat\)/);
  assert.equal(f.ready, true);
});

test('a sysrq crash is a panic; the first panic line wins', () => {
  const f = scanSerialLog(
    '[   64.017619] Kernel panic - not syncing: sysrq triggered crash\n[   64.021804]  panic+0x118/0x2f4\n' +
      '[   65.0] Kernel panic - not syncing: later\n',
  );
  assert.equal(f.panic, 'Kernel panic - not syncing: sysrq triggered crash');
  assert.equal(f.ready, false);
});

test('counts agent restarts and cgroup OOM kills', () => {
  const f = scanSerialLog(
    'ballast-lab: agent exited with 2, restarting\nballast-lab: agent exited with 2, restarting\n' +
      '[ 3.0] Memory cgroup out of memory: Killed process 9 (x) total-vm:1kB\n',
  );
  assert.equal(f.agentRestarts, 2);
  assert.equal(f.oomKills.length, 1);
});
