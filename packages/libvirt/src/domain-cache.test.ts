// The native layer's domain handles (uuid -> virDomainPtr) on test:///default, which every connection of this
// process shares: a second connection changes domains behind the first one's cached handles.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Connection } from './connection.js';
import { DomainState, DomainStats } from './constants.js';
import { isNoDomain } from './error-predicates.js';
import { open } from './open.js';
import { domainXml } from './test-helpers.js';

function uuidOf(prefix: string, i: number): string {
  return `${prefix}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('domain handle cache (test:///default)', () => {
  let conn: Connection;
  let other: Connection;
  before(async () => {
    conn = await open('test:///default');
    other = await open('test:///default');
  });
  after(async () => {
    await conn.close();
    await other.close();
  });

  test('a per-domain call caches the handle; lookups refresh it', async () => {
    const uuid = uuidOf('cacc0001', 1);
    const base = conn.domainCacheSize;
    await other.defineXML(domainXml('cache-a', uuid));
    await conn.getDomainInfo(uuid);
    assert.equal(conn.domainCacheSize, base + 1);
    await conn.getXMLDesc(uuid);
    await conn.lookupByUuid(uuid);
    assert.equal(conn.domainCacheSize, base + 1);
    await conn.undefine(uuid);
    assert.equal(conn.domainCacheSize, base);
  });

  test('a cached domain undefined and redefined with the same UUID (elsewhere) still works, with its new name', async () => {
    const uuid = uuidOf('cacc0002', 2);
    await conn.defineXML(domainXml('cache-old', uuid, 262144));
    assert.equal((await conn.getDomainInfo(uuid)).maxMemKiB, 262144); // cached now
    await other.undefine(uuid);
    await other.defineXML(domainXml('cache-new', uuid, 524288));
    assert.equal((await conn.getDomainInfo(uuid)).maxMemKiB, 524288);
    assert.match(await conn.getXMLDesc(uuid), /<name>cache-new<\/name>/);
    const summary = await conn.lookupByUuid(uuid);
    assert.equal(summary.name, 'cache-new');
    const refs = await conn.listDomainRefs();
    assert.equal(refs.find((r) => r.uuid === uuid)?.name, 'cache-new');
    const [rec] = await conn.getDomainStats([uuid], DomainStats.STATE);
    assert.equal(rec?.name, 'cache-new');
    await conn.undefine(uuid);
  });

  test('no stale id: a cached inactive domain started elsewhere reads as active with its id', async () => {
    const uuid = uuidOf('cacc0003', 3);
    await conn.defineXML(domainXml('cache-start', uuid));
    assert.equal((await conn.getDomainInfo(uuid)).state, DomainState.SHUTOFF);
    await other.create(uuid);
    assert.equal((await conn.getDomainInfo(uuid)).state, DomainState.RUNNING);
    const summary = await conn.lookupByUuid(uuid);
    assert.ok(summary.id > 0 && summary.active, JSON.stringify(summary));
    assert.equal((await conn.listDomainRefs()).find((r) => r.uuid === uuid)?.id, summary.id);
    await other.destroy(uuid);
    assert.equal((await conn.lookupByUuid(uuid)).id, -1);
    await conn.undefine(uuid);
  });

  test('a cached transient domain destroyed elsewhere gives NO_DOMAIN, and its handle goes', async () => {
    const uuid = uuidOf('cacc0004', 4);
    const base = conn.domainCacheSize;
    await conn.createXML(domainXml('cache-transient', uuid));
    await conn.getDomainInfo(uuid);
    assert.equal((await conn.getDomainStats([uuid], DomainStats.STATE)).length, 1);
    assert.equal(conn.domainCacheSize, base + 1);
    await other.destroy(uuid);
    await assert.rejects(conn.getDomainInfo(uuid), (err) => isNoDomain(err));
    await assert.rejects(conn.memoryStats(uuid), (err) => isNoDomain(err));
    await assert.rejects(conn.getVcpuPinInfo(uuid), (err) => isNoDomain(err));
    assert.equal(conn.domainCacheSize, base);
    // Re-cache it, destroy it again elsewhere: stats leave it out (no record, no error) and drop the handle.
    await conn.createXML(domainXml('cache-transient', uuid));
    await conn.getDomainInfo(uuid);
    await other.destroy(uuid);
    assert.deepEqual(await conn.getDomainStats([uuid], DomainStats.STATE), []);
    assert.equal(conn.domainCacheSize, base);
  });

  test('getDomainStats: one record per domain found, in one call', async () => {
    const uuids = [uuidOf('cacc0005', 1), uuidOf('cacc0005', 2)];
    for (const [i, uuid] of uuids.entries()) await conn.createXML(domainXml(`cache-stats-${i}`, uuid));
    const recs = await conn.getDomainStats([...uuids, uuidOf('cacc0005', 99)], DomainStats.STATE);
    assert.deepEqual(recs.map((r) => r.name).sort(), ['cache-stats-0', 'cache-stats-1']);
    for (const r of recs) assert.equal(r.params['state.state'], DomainState.RUNNING);
    for (const uuid of uuids) await conn.destroy(uuid);
    assert.throws(() => conn.getDomainStats(['x', ''], DomainStats.STATE), /uuids must be an array of non-empty strings/);
  });

  test('lifecycle events drop handles: undefined and stopped elsewhere', async () => {
    const off = conn.onEvent(() => undefined);
    try {
      await conn.eventsReady();
      const persistent = uuidOf('cacc0006', 1);
      const transient = uuidOf('cacc0006', 2);
      const base = conn.domainCacheSize;
      await other.defineXML(domainXml('cache-ev-p', persistent));
      await other.createXML(domainXml('cache-ev-t', transient));
      await conn.getDomainInfo(persistent);
      await conn.getDomainInfo(transient);
      assert.equal(conn.domainCacheSize, base + 2);
      await other.undefine(persistent);
      await other.destroy(transient);
      await until('the events to drop both handles', () => conn.domainCacheSize === base);
    } finally {
      off();
    }
  });

  test('bounded by live domains: 1,000 defined and undefined leave no handle behind', async () => {
    const base = conn.domainCacheSize;
    const uuids = Array.from({ length: 1000 }, (_, i) => uuidOf('cacc0007', i));
    for (const [i, uuid] of uuids.entries()) {
      await conn.defineXML(domainXml(`cache-many-${i}`, uuid));
      await conn.getDomainInfo(uuid);
      await conn.undefine(uuid);
    }
    assert.equal(conn.domainCacheSize, base);
    // Undefined behind this connection's back (no events): a full listing drops the handles.
    for (const [i, uuid] of uuids.entries()) await conn.defineXML(domainXml(`cache-many-${i}`, uuid));
    await Promise.all(uuids.map((uuid) => conn.getDomainInfo(uuid)));
    assert.equal(conn.domainCacheSize, base + 1000);
    for (const uuid of uuids) await other.undefine(uuid);
    const live = await conn.listDomainRefs();
    assert.equal(conn.domainCacheSize, live.length);
    assert.ok(conn.domainCacheSize <= base + 1, `cache ${conn.domainCacheSize}, base ${base}`);
  });

  test('sampleDomain: info, vCPUs and stats groups in one call; a domain gone rejects with NO_DOMAIN', async () => {
    const uuid = uuidOf('cacc000a', 1);
    await conn.createXML(domainXml('cache-sample', uuid));
    const s = await conn.sampleDomain(uuid, { vcpus: true, statsGroups: DomainStats.STATE });
    assert.equal(s.info.state, DomainState.RUNNING);
    assert.equal(s.info.maxMemKiB, 262144);
    assert.equal(s.vcpus?.length, 1);
    assert.equal(s.name, 'cache-sample');
    assert.equal(s.params?.['state.state'], DomainState.RUNNING);
    const bare = await conn.sampleDomain(uuid);
    assert.equal(bare.vcpus, undefined);
    assert.equal(bare.params, undefined);
    await other.destroy(uuid); // behind the cached handle
    await assert.rejects(conn.sampleDomain(uuid, { vcpus: true }), (err) => isNoDomain(err));
  });

  test('close drops every handle', async () => {
    const c = await open('test:///default');
    await c.listDomainRefs();
    assert.ok(c.domainCacheSize > 0);
    await c.close();
    assert.equal(c.domainCacheSize, 0);
    await assert.rejects(c.getDomainStats([uuidOf('cacc0008', 1)], DomainStats.STATE));
  });

  test('a lifecycle STOPPED of a persistent domain costs one lookup later, nothing else', async () => {
    const uuid = uuidOf('cacc0009', 1);
    await conn.defineXML(domainXml('cache-restart', uuid));
    await conn.create(uuid);
    await conn.getDomainInfo(uuid);
    const off = conn.onEvent(() => undefined);
    try {
      await conn.eventsReady();
      await other.destroy(uuid);
      await other.create(uuid);
      assert.equal((await conn.getDomainInfo(uuid)).state, DomainState.RUNNING);
    } finally {
      off();
      await conn.destroy(uuid);
      await conn.undefine(uuid);
    }
  });
});
