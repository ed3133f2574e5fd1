// A generated test:///<file>.xml node with 500 domains (400 running, 100 shut off).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Connection } from './connection.js';
import { DomainState, DomainStats, GetAllDomainStatsFlags, ListDomainsFlags } from './constants.js';
import { isNoDomain } from './error-predicates.js';
import { open } from './open.js';
import { domainXml, testUuid, writeTestNode, type TestNode } from './test-helpers.js';
import { toVmStats } from './vm-stats.js';

describe('500 domains', () => {
  let node: TestNode;
  let conn: Connection;
  before(async () => {
    node = writeTestNode(500);
    conn = await open(node.uri);
  });
  after(async () => {
    await conn.close();
    node.cleanup();
  });

  test('listAllDomains returns all 500 with state, id and persistence', async (t) => {
    const start = performance.now();
    const doms = await conn.listAllDomains();
    t.diagnostic(`listAllDomains(500): ${(performance.now() - start).toFixed(1)} ms`);
    assert.equal(doms.length, 500);
    const byUuid = new Map(doms.map((d) => [d.uuid, d]));
    for (const d of node.domains) {
      const got = byUuid.get(d.uuid);
      assert.ok(got, d.name);
      assert.equal(got.name, d.name);
      assert.equal(got.active, d.running);
      assert.equal(got.state, d.running ? DomainState.RUNNING : DomainState.SHUTOFF);
      assert.equal(got.id === -1, !d.running);
      assert.equal(got.persistent, true);
    }
    assert.equal((await conn.listAllDomains(ListDomainsFlags.ACTIVE)).length, 400);
    assert.equal((await conn.listAllDomains(ListDomainsFlags.INACTIVE)).length, 100);
  });

  test('lookups by name and UUID agree', async () => {
    for (const d of [node.domains[0]!, node.domains[123]!, node.domains[499]!]) {
      assert.deepEqual(await conn.lookupByName(d.name), await conn.lookupByUuid(d.uuid));
    }
    await assert.rejects(conn.lookupByUuid(testUuid(500)), (err) => isNoDomain(err));
  });

  test('one bulk stats call covers every active domain (ACTIVE | NOWAIT)', async (t) => {
    const start = performance.now();
    const records = await conn.getAllDomainStats(
      DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.VCPU | DomainStats.BALLOON,
      GetAllDomainStatsFlags.ACTIVE | GetAllDomainStatsFlags.NOWAIT,
    );
    t.diagnostic(`getAllDomainStats(400 active): ${(performance.now() - start).toFixed(1)} ms`);
    assert.equal(records.length, 400);
    const stats = records.map(toVmStats);
    assert.ok(stats.every((s) => s.state === 'running'));
    const inactive = await conn.getAllDomainStats(DomainStats.STATE, GetAllDomainStatsFlags.INACTIVE);
    assert.equal(inactive.length, 100);
    assert.ok(inactive.map(toVmStats).every((s) => s.state === 'shutoff'));
  });

  test('500 concurrent per-domain calls complete (queued on the libuv pool)', async (t) => {
    const start = performance.now();
    const infos = await Promise.all(node.domains.map((d) => conn.getDomainInfo(d.uuid)));
    t.diagnostic(`500 x getDomainInfo: ${(performance.now() - start).toFixed(1)} ms`);
    infos.forEach((info, i) => assert.equal(info.memoryKiB, node.domains[i]!.currentMemoryKiB));
  });

  test('define and undefine among 500', async () => {
    const uuid = testUuid(1000);
    await conn.defineXML(domainXml('vm-extra', uuid));
    assert.equal((await conn.listAllDomains()).length, 501);
    await conn.undefine(uuid);
    assert.equal((await conn.listAllDomains()).length, 500);
    // Undefining a running persistent domain makes it transient until it stops.
    const running = node.domains[1]!;
    await conn.undefine(running.uuid);
    assert.equal((await conn.lookupByUuid(running.uuid)).persistent, false);
    await conn.destroy(running.uuid);
    await assert.rejects(conn.lookupByUuid(running.uuid), (err) => isNoDomain(err));
    assert.equal((await conn.listAllDomains()).length, 499);
  });
});
