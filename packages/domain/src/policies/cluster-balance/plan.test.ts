import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish } from '../policy-signals.js';
import { memoryBounds, type MemoryBounds } from '../entitlement-signals.js';
import { memoryShortage } from '../memory-balloon/shortage-signal.js';
import { balancePriority, targetImbalance } from './args.js';
import { planClusterBalance } from './plan.js';
import { args, host, migrating, NOW, snap, vm } from './test-kit.js';
import type { Plan } from '../../snapshot.js';

const moves = (p: Plan) => p.jobs.map((j) => `${j.vmName}:${j.hostId}>${j.action.type === 'migrate' ? j.action.targetHost : '?'}`);
const summary = (p: Plan) => p.decisions[0]?.inputs as { imbalance: number; predictedImbalance: number; priority: number };
const busyOnOne = () => [vm('a', 'h1', { cpu: 90 }), vm('b', 'h1', { cpu: 90 }), vm('c', 'h1', { cpu: 90 }), vm('d', 'h1', { cpu: 90 })];

test('DRS priority and level targets: priority = 6 − ceil(imbalance / (0.1·√hosts)) within 2–5; target(L) = (5 − L)·0.1·√hosts', () => {
  const table: [number, number, number][] = [
    [0.05, 4, 5],
    [0.21, 4, 4],
    [0.45, 4, 3],
    [0.61, 4, 2],
    [5, 4, 2],
    [0.0, 9, 5],
  ];
  for (const [imb, hosts, p] of table) assert.equal(balancePriority(imb, hosts), p, `${imb} on ${hosts}`);
  assert.equal(targetImbalance(1, 4), Infinity);
  assert.ok(Math.abs(targetImbalance(3, 4) - 0.4) < 1e-12);
  assert.equal(targetImbalance(5, 4), 0);
});

test('a balanced cluster: no move, the summary says it is within the target', () => {
  const p = planClusterBalance(snap([host('h1'), host('h2')], [vm('a', 'h1'), vm('b', 'h2')]), args());
  assert.deepEqual(p.jobs, []);
  assert.match(p.decisions[0]?.reason ?? '', /within the level 3 target/);
});

test('four busy VMs on one host of two: level 3 moves some to the empty host with a migrate job carrying its URIs', () => {
  const p = planClusterBalance(snap([host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 })], busyOnOne()), args({ limits: { movesPerCycle: 4, perHost: 4, cluster: 4 } }));
  assert.ok(p.jobs.length >= 1 && p.jobs.length <= 2, moves(p).join());
  for (const j of p.jobs) {
    assert.equal(j.hostId, 'h1');
    assert.deepEqual(j.action, { type: 'migrate', targetHost: 'h2', destUri: 'qemu+tcp://h2/system', migrateUri: 'tcp://h2' });
  }
  const s = summary(p);
  assert.ok(s.predictedImbalance < s.imbalance);
  assert.ok(p.decisions.some((d) => d.kind === 'move' && /balance \(priority [2-5]\)/.test(d.reason)));
});

test('levels: 1 makes no balance move, 5 moves at least as much as 2', () => {
  const s = () => snap([host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 }), host('h3', { pcpus: 2 })], busyOnOne());
  const lim = { movesPerCycle: 6, perHost: 6, cluster: 6 };
  assert.equal(planClusterBalance(s(), args({ level: 1, limits: lim })).jobs.length, 0);
  const two = planClusterBalance(s(), args({ level: 2, limits: lim })).jobs.length;
  const five = planClusterBalance(s(), args({ level: 5, limits: lim })).jobs.length;
  assert.ok(five >= two && five >= 2, `level 2: ${two}, level 5: ${five}`);
});

test('the gate: a VM dirtying memory faster than 0.8 × bandwidth is never moved; a move whose gain does not pay over the horizon is dropped', () => {
  const hosts = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 })];
  const dirty = busyOnOne().map((v) => ({ ...v, dirtyRateMiBPerSec: 110 }));
  assert.equal(planClusterBalance(snap(hosts, dirty), args()).jobs.length, 0);
  const big = busyOnOne().map((v) => vm(v.name, 'h1', { cpu: 90, memoryMiB: 8192 }));
  const roomy = [host('h1', { pcpus: 2, memoryGiB: 64 }), host('h2', { pcpus: 2, memoryGiB: 64 })];
  // 8 GiB at 125 MiB/s = 66 s of migration; the first move takes the imbalance from 0.9 to 0.45: a gain of
  // 2 hosts × (0.81 − 0.2025) = 1.2 held 30 s (36) does not pay for it, held 600 s it does
  assert.equal(planClusterBalance(snap(roomy, big), args({ gate: { horizonSec: 30 } })).jobs.length, 0);
  assert.ok(planClusterBalance(snap(roomy, big), args({ gate: { horizonSec: 600 } })).jobs.length > 0);
});

test('fit: no move past the destination budget, below its free-memory floor, or past its CPU reservations', () => {
  const hosts = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2, freeGiB: 1 })];
  // 1 GiB free on h2, floor 512 MiB: a 1 GiB VM does not fit
  assert.equal(planClusterBalance(snap(hosts, busyOnOne()), args()).jobs.length, 0);
  const bounds: MemoryBounds = { vms: [], hosts: [{ hostId: 'h1', hostFreeFloorMiB: 200 }, { hostId: 'h2', hostFreeFloorMiB: 200, budgetMiB: 900 }] };
  const roomy = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 })];
  const p = planClusterBalance(snap(roomy, busyOnOne(), { signals: [publish(memoryBounds, bounds)] }), args());
  assert.equal(p.jobs.length, 0, 'h2 budget 900 MiB < a 1024 MiB balloon');
  const res = planClusterBalance(
    snap(roomy, busyOnOne(), { signals: [publish({ name: 'cpu-entitlement/bounds' }, busyOnOne().map((v) => ({ vmUuid: v.uuid, hostId: 'h1', reservedPercent: 150, limitPercent: 100 })))] }),
    args(),
  );
  // each reserves 150 % (above its 100 % limit: entitlement 100); h2 has 200 %: one fits, a second would not
  assert.ok(res.jobs.length <= 1);
});

test('cool-down: a VM moved 5 min ago is held; one moved once 20 min ago is free; the 3rd move in 24 h holds 60 min; the cap is 6 h', () => {
  const hosts = [host('h1', { pcpus: 1 }), host('h2', { pcpus: 1 })];
  const vms = [vm('a', 'h1', { cpu: 90 }), vm('b', 'h1', { cpu: 90 })];
  const rec = (name: string, agoMin: number) => ({ vmUuid: `uuid-${name}`, vmName: name, fromHost: 'h2', toHost: 'h1', atMs: NOW - agoMin * 60_000 });
  const a = args({ limits: { movesPerCycle: 1 } });
  const moved = (migrations: ReturnType<typeof rec>[]) => moves(planClusterBalance(snap(hosts, vms, { migrations }), a));
  assert.deepEqual(moved([rec('a', 5), rec('b', 5)]), []);
  assert.equal(moved([rec('a', 20), rec('b', 20)]).length, 1);
  assert.deepEqual(moved([rec('a', 200), rec('a', 100), rec('a', 50), rec('b', 5)]), [], '3rd move: 15·2² = 60 min > 50');
  assert.equal(moved([rec('a', 200), rec('a', 100), rec('a', 61), rec('b', 5)]).length, 1);
  const many = Array.from({ length: 10 }, (_, i) => rec('a', 309 - i));
  assert.deepEqual(moved([...many, rec('b', 5)]), [], 'cap 6 h: held 6 h after the last move');
  assert.equal(moved([...Array.from({ length: 10 }, (_, i) => rec('a', 400 + i)).reverse(), rec('b', 5)]).length, 1, 'last move 400 min ago > 6 h cap');
});

test('maintenance: every VM of the host is evacuated (priority 1, cool-down or not) and nothing moves onto it', () => {
  const hosts = [host('h1', { maintenance: true }), host('h2'), host('h3')];
  const vms = [vm('a', 'h1'), vm('b', 'h1'), vm('c', 'h2', { cpu: 300, vcpus: 4 })];
  const p = planClusterBalance(snap(hosts, vms, { migrations: [{ vmUuid: 'uuid-a', vmName: 'a', fromHost: 'h2', toHost: 'h1', atMs: NOW - 1000 }] }), args({ limits: { movesPerCycle: 4, perHost: 4, cluster: 4 } }));
  const m = moves(p);
  assert.ok(m.includes('a:h1>h3') && m.includes('b:h1>h3'), m.join());
  assert.ok(p.decisions.some((d) => d.kind === 'move' && /maintenance \(priority 1\)/.test(d.reason)));
  assert.ok(!m.some((x) => x.endsWith('>h1')));
});

test('rules: anti-affinity splits a clashing pair; affinity joins a VM to its group; must / must-not host groups', () => {
  const two = [host('h1'), host('h2')];
  const web = [vm('w1', 'h1', { labels: { app: 'web' } }), vm('w2', 'h1', { labels: { app: 'web' } })];
  const anti = args({ rules: [{ name: 'web-apart', kind: 'anti-affinity', vms: { labels: { app: 'web' } } }] });
  assert.deepEqual(moves(planClusterBalance(snap(two, web), anti)), ['w2:h1>h2']);
  const aff = args({ rules: [{ kind: 'affinity', vms: { names: ['x', 'y', 'z'] } }] });
  assert.deepEqual(moves(planClusterBalance(snap(two, [vm('x', 'h1'), vm('y', 'h1'), vm('z', 'h2')]), aff)), ['z:h2>h1']);
  const racks = [host('h1', { labels: { rack: 'a' } }), host('h2', { labels: { rack: 'b' } })];
  const groups = { hostGroups: { 'rack-a': { labels: { rack: 'a' } } } };
  const must = args({ ...groups, rules: [{ kind: 'vm-host', vms: { names: ['db'] }, hostGroup: 'rack-a', mode: 'must' }] });
  assert.deepEqual(moves(planClusterBalance(snap(racks, [vm('db', 'h2')]), must)), ['db:h2>h1']);
  const mustNot = args({ ...groups, rules: [{ kind: 'vm-host', vms: { names: ['db'] }, hostGroup: 'rack-a', mode: 'must-not' }] });
  assert.deepEqual(moves(planClusterBalance(snap(racks, [vm('db', 'h1')]), mustNot)), ['db:h1>h2']);
  // balancing never breaks a rule: two busy web VMs on h1 stay apart from each other's host
  const busyWeb = [vm('w1', 'h1', { cpu: 95, labels: { app: 'web' } }), vm('w2', 'h2', { cpu: 10, labels: { app: 'web' } })];
  assert.deepEqual(moves(planClusterBalance(snap([host('h1', { pcpus: 1 }), host('h2', { pcpus: 1 })], busyWeb), args({ level: 5, rules: anti.rules }))), []);
});

test('should rules steer from level 2 but not at level 1; an unfixable must rule is a stuck decision', () => {
  const racks = [host('h1', { labels: { rack: 'a' } }), host('h2', { labels: { rack: 'b' } })];
  const rule = { hostGroups: { 'rack-a': { labels: { rack: 'a' } } }, rules: [{ kind: 'vm-host', vms: { names: ['db'] }, hostGroup: 'rack-a', mode: 'should' }] };
  assert.deepEqual(moves(planClusterBalance(snap(racks, [vm('db', 'h2')]), args({ ...rule, level: 3 }))), ['db:h2>h1']);
  assert.deepEqual(moves(planClusterBalance(snap(racks, [vm('db', 'h2')]), args({ ...rule, level: 1 }))), []);
  const full = [host('h1', { labels: { rack: 'a' }, freeGiB: 0.5 }), host('h2', { labels: { rack: 'b' } })];
  const must = { ...rule, rules: [{ ...rule.rules[0], mode: 'must' }] };
  const p = planClusterBalance(snap(full, [vm('db', 'h2')]), args(must));
  assert.deepEqual(p.jobs, []);
  assert.match(p.decisions.find((d) => d.kind === 'stuck')?.reason ?? '', /must run in host group rack-a; no host fits: h1's free memory/);
});

test('automation: a recommend VM gets a recommendation decision with the action and no job; an off VM is never moved', () => {
  const hosts = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 })];
  const rec = planClusterBalance(snap(hosts, busyOnOne()), args({ defaults: { automation: 'recommend' } }));
  assert.equal(rec.jobs.length, 0);
  const d = rec.decisions.find((x) => x.kind === 'recommend');
  assert.ok(d);
  assert.equal((d.inputs as { action: { type: string } }).action.type, 'migrate');
  assert.equal(planClusterBalance(snap(hosts, busyOnOne()), args({ defaults: { automation: 'off' } })).decisions.filter((x) => x.kind !== 'cluster').length, 0);
});

test('limits and migrations in flight: perHost blocks a host already migrating; a VM in flight counts where it goes and is not moved again', () => {
  const hosts = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 }), host('h3', { pcpus: 2 })];
  const p = planClusterBalance(snap(hosts, busyOnOne(), { jobs: [migrating('a', 'h1', 'h2')] }), args({ limits: { movesPerCycle: 4, perHost: 1, cluster: 4 } }));
  assert.deepEqual(moves(p), [], 'h1 is the source of a migration in flight: perHost 1');
  const q = planClusterBalance(snap(hosts, busyOnOne(), { jobs: [migrating('a', 'h1', 'h2')] }), args({ limits: { movesPerCycle: 4, perHost: 4, cluster: 4 } }));
  assert.ok(!moves(q).some((m) => m.startsWith('a:')));
  assert.ok(!moves(q).some((m) => m.endsWith('>h2')), `a counts on h2 already: ${moves(q).join()}`);
  const c = planClusterBalance(snap(hosts, busyOnOne(), { jobs: [migrating('a', 'h1', 'h2')] }), args({ limits: { movesPerCycle: 4, perHost: 4, cluster: 1 } }));
  assert.deepEqual(moves(c), []);
});

test('memory pressure: a host short of budget moves the VM that covers the shortage cheapest to a host with room', () => {
  const hosts = [host('h1'), host('h2')];
  const vms = [vm('small', 'h1', { memoryMiB: 512, cpu: 10 }), vm('mid', 'h1', { memoryMiB: 1024, cpu: 10 }), vm('big', 'h1', { memoryMiB: 4096, cpu: 10 }), vm('o', 'h2', { cpu: 10 })];
  const short = [{ hostId: 'h1', limitedBy: 'budget' as const, budgetMiB: 5632, shortVms: [{ vmUuid: 'uuid-small', vmName: 'small', shortMiB: 300, unusedMiB: 10 }] }];
  const p = planClusterBalance(snap(hosts, vms, { signals: [publish(memoryShortage, short)] }), args({ level: 1 }));
  assert.deepEqual(moves(p), ['small:h1>h2'], 'small (512 + its 300 short) covers the 300 MiB shortage at the least cost');
  assert.match(p.decisions.find((d) => d.kind === 'move')?.reason ?? '', /pressure \(priority 1\).*memory on h1 is short \(budget: small 300 MiB\)/);
  const noRoom = planClusterBalance(snap([host('h1'), host('h2', { freeGiB: 0.6 })], vms, { signals: [publish(memoryShortage, short)] }), args({ level: 1 }));
  assert.deepEqual(moves(noRoom), []);
  assert.ok(noRoom.decisions.some((d) => d.kind === 'stuck' && /memory on h1 is short/.test(d.reason)));
});

test('stale hosts and hosts without a migration URI take no VM', () => {
  const stale = planClusterBalance(snap([host('h1', { pcpus: 2 }), host('h2', { pcpus: 2, stale: true })], busyOnOne()), args());
  assert.deepEqual(stale.jobs, []);
  const noUri = planClusterBalance(snap([host('h1', { pcpus: 2 }), host('h2', { pcpus: 2, noUri: true })], busyOnOne()), args());
  assert.deepEqual(noUri.jobs, []);
});

test('a move an operator rejected is not planned again while the veto lasts: the next best one is', () => {
  const hosts = [host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 }), host('h3', { pcpus: 2 })];
  const first = moves(planClusterBalance(snap(hosts, busyOnOne()), args({ limits: { movesPerCycle: 1 } })));
  assert.equal(first.length, 1);
  const [name, to] = [(first[0] as string).split(':')[0] as string, (first[0] as string).split('>')[1] as string];
  const s = { ...snap(hosts, busyOnOne()), vetoedMoves: [{ vmUuid: `uuid-${name}`, toHost: to, untilMs: NOW + 1000 }] };
  const next = moves(planClusterBalance(s, args({ limits: { movesPerCycle: 1 } })));
  assert.equal(next.length, 1);
  assert.notEqual(next[0], first[0]);
  const expired = { ...s, vetoedMoves: [{ vmUuid: `uuid-${name}`, toHost: to, untilMs: NOW - 1 }] };
  assert.deepEqual(moves(planClusterBalance(expired, args({ limits: { movesPerCycle: 1 } }))), first);
});

test('memory pressure: a migration already in flight off the short host that covers the shortage means no second move', () => {
  const hosts = [host('h1'), host('h2'), host('h3')];
  const vms = [vm('small', 'h1', { memoryMiB: 512, cpu: 10 }), vm('mid', 'h1', { memoryMiB: 1024, cpu: 10 }), vm('o', 'h2', { cpu: 10 })];
  const short = [{ hostId: 'h1', limitedBy: 'budget' as const, budgetMiB: 1536, shortVms: [{ vmUuid: 'uuid-small', vmName: 'small', shortMiB: 300, unusedMiB: 10 }] }];
  const p = planClusterBalance(snap(hosts, vms, { signals: [publish(memoryShortage, short)], jobs: [migrating('mid', 'h1', 'h3')] }), args({ level: 1, limits: { perHost: 4, cluster: 4 } }));
  assert.deepEqual(moves(p), []);
  const q = planClusterBalance(snap(hosts, vms, { signals: [publish(memoryShortage, short)] }), args({ level: 1, limits: { perHost: 4, cluster: 4 } }));
  assert.equal(moves(q).length, 1);
});
