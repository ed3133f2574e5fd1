// setMetadata / getMetadata and the metadata-change event on libvirt's test driver (this file owns its
// process's test:///default).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AffectFlags, DomainXmlFlags, MetadataType } from './constants.js';
import type { Connection } from './connection.js';
import { isNoDomain, isNoMetadata } from './error-predicates.js';
import { ErrorCode, LibvirtError } from './libvirt-error.js';
import { open } from './open.js';
import type { LibvirtEvent } from './types.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
const NS = 'https://ballast.dev/xmlns/pins/1';
const PINS = '<pins><pin vcpu="0" pcpus="1" by="manual" at="5"/></pins>';

describe('domain metadata on test:///default', () => {
  let conn: Connection;
  before(async () => void (conn = await open('test:///default')));
  after(() => conn.close());

  test('an element: set LIVE, read back (without its prefix), in the XML under its key, replaced, removed', async () => {
    await assert.rejects(conn.getMetadata(TEST_UUID, MetadataType.ELEMENT, NS), (err) => isNoMetadata(err));
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, PINS, 'ballast', NS, AffectFlags.LIVE);
    assert.match(await conn.getMetadata(TEST_UUID, MetadataType.ELEMENT, NS), /^<pins>\s*<pin vcpu="0" pcpus="1" by="manual" at="5"\/>\s*<\/pins>$/);
    const xml = await conn.getXMLDesc(TEST_UUID);
    assert.match(xml, /<ballast:pins xmlns:ballast="https:\/\/ballast\.dev\/xmlns\/pins\/1">\s*<ballast:pin vcpu="0" pcpus="1"/);
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, '<pins/>', 'ballast', NS, AffectFlags.LIVE);
    assert.equal(await conn.getMetadata(TEST_UUID, MetadataType.ELEMENT, NS), '<pins/>');
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, null, null, NS, AffectFlags.LIVE);
    await assert.rejects(conn.getMetadata(TEST_UUID, MetadataType.ELEMENT, NS), (err) => isNoMetadata(err) && err.code === ErrorCode.NO_DOMAIN_METADATA);
  });

  test('each change is a metadata-change event naming the namespace', async () => {
    const events: LibvirtEvent[] = [];
    const off = conn.onEvent((e) => events.push(e));
    await conn.eventsReady();
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, PINS, 'ballast', NS);
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, null, null, NS);
    const deadline = Date.now() + 2000;
    while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    off();
    const changes = events.filter((e) => e.type === 'metadata-change');
    assert.deepEqual(changes, [
      { type: 'metadata-change', uuid: TEST_UUID, name: 'test', metadataType: MetadataType.ELEMENT, nsUri: NS },
      { type: 'metadata-change', uuid: TEST_UUID, name: 'test', metadataType: MetadataType.ELEMENT, nsUri: NS },
    ]);
  });

  test('CONFIG writes the persistent definition only; the title is text without key or namespace', async () => {
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, PINS, 'ballast', NS, AffectFlags.CONFIG);
    assert.match(await conn.getXMLDesc(TEST_UUID, DomainXmlFlags.INACTIVE), /<ballast:pins /);
    assert.doesNotMatch(await conn.getXMLDesc(TEST_UUID), /<ballast:pins /);
    await conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, null, null, NS, AffectFlags.CONFIG);
    assert.doesNotMatch(await conn.getXMLDesc(TEST_UUID, DomainXmlFlags.INACTIVE), /<ballast:pins /);
    await conn.setMetadata(TEST_UUID, MetadataType.TITLE, 'web & db', null, null);
    assert.equal(await conn.getMetadata(TEST_UUID, MetadataType.TITLE, null), 'web & db');
    await conn.setMetadata(TEST_UUID, MetadataType.TITLE, null, null, null);
  });

  test('libvirt errors: malformed XML, no namespace for an element, a missing domain', async () => {
    await assert.rejects(conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, '<pins>', 'ballast', NS), (err) => err instanceof LibvirtError && /^[^\n]+$/.test(err.message));
    await assert.rejects(conn.setMetadata(TEST_UUID, MetadataType.ELEMENT, PINS, 'ballast', null), (err) => err instanceof LibvirtError);
    await assert.rejects(conn.setMetadata('11111111-2222-3333-4444-555555555555', MetadataType.ELEMENT, PINS, 'ballast', NS), (err) => isNoDomain(err));
    await assert.rejects(conn.getMetadata('11111111-2222-3333-4444-555555555555', MetadataType.ELEMENT, NS), (err) => isNoDomain(err));
  });

  test('wrong argument types throw a TypeError naming the argument, synchronously', () => {
    const c = conn as unknown as Record<string, (...a: unknown[]) => unknown>;
    assert.throws(() => c['setMetadata']?.call(conn, TEST_UUID, MetadataType.ELEMENT, 5, 'b', NS), /metadata must be a string/);
    assert.throws(() => c['setMetadata']?.call(conn, TEST_UUID, MetadataType.ELEMENT, PINS, 7, NS), /key must be a string/);
    assert.throws(() => c['getMetadata']?.call(conn, TEST_UUID, 9, NS), /type must be a non-negative integer up to 2/);
    assert.throws(() => c['getMetadata']?.call(conn, TEST_UUID, MetadataType.ELEMENT, {}), /uri must be a string/);
  });
});
