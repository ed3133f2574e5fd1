import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runApiCommand, type CommandIo } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { eventLine, eventsCommand } from './events-command.js';
import { SseParser } from './sse-parser.js';

test('the SSE parser joins chunks, skips comments, keeps the last id, and handles multi-line data and CRLF', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': connected\n\nid: 1-0\nevent: job\nda'), []);
  assert.deepEqual(p.push('ta: {"a":1}\n\n'), [{ id: '1-0', event: 'job', data: '{"a":1}' }]);
  assert.deepEqual(p.push('data: x\r\ndata: y\r'), []);
  assert.deepEqual(p.push('\n\r\n'), [{ id: '1-0', event: 'message', data: 'x\ny' }]);
  assert.deepEqual(p.push(': heartbeat\n\n'), [], 'a comment alone is no event');
});

const ev = (id: string, type: string, action: string, data: Record<string, unknown>) => ({ id, type, action, at: '2026-01-01T00:00:00.000Z', vmUuid: 'u1', hostId: 'h1', data });
const frame = (e: ReturnType<typeof ev>) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

test('one line per event: time, type, action, the VM, and what happened', () => {
  assert.equal(eventLine(ev('1-0', 'job', 'failed', { vm: 'web', type: 'migrate', host: 'h1', id: 'j1', error: 'no route' })), '2026-01-01T00:00:00.000Z  job             failed      web  migrate on h1 j1 error: no route');
  assert.match(eventLine(ev('1-0', 'recommendation', 'new', { vm: 'web', from: 'h1', to: 'h2', reason: 'imbalance' })), /new\s+web {2}h1 → h2 imbalance$/);
  assert.match(eventLine(ev('1-0', 'decision', 'grow', { policy: 'memory', reason: 'tight' })), /decision\s+grow\s+u1 {2}memory: tight$/);
});

/** A body that yields `text`, then ends (the engine hung up) or fails (the connection was reset). */
function streamOf(text: string, thenError = false): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new TextEncoder().encode(text));
      } else if (thenError) c.error(new Error('connection reset'));
      else c.close();
    },
  });
}

function io(fetchImpl: typeof fetch) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIo = { env: { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'tok' }, fetch: fetchImpl, readText: () => undefined, home: '/nonexistent', out: (t) => out.push(t), err: (t) => err.push(t), progress: () => undefined, sleep: async () => undefined };
  return { io: value, out, err };
}

test('events follows the stream with the token, reconnects with Last-Event-ID after a drop, and stops after --count', async () => {
  const seen: { url: string; auth: string | null; last: string | null }[] = [];
  const f = io((async (url: string | URL, init?: RequestInit) => {
    const h = new Headers(init?.headers);
    seen.push({ url: String(url), auth: h.get('authorization'), last: h.get('last-event-id') });
    const body = seen.length === 1 ? streamOf(`: connected\n\n${frame(ev('5-0', 'job', 'submitted', { vm: 'web', id: 'j1' }))}`, true) : streamOf(frame(ev('6-0', 'job', 'succeeded', { vm: 'web', id: 'j1' })));
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as typeof fetch);
  assert.equal(await runApiCommand(eventsCommand, ['--types', 'job', '--count', '2', '-o', 'json'], f.io), EXIT.ok);
  assert.deepEqual(seen, [
    { url: 'http://engine:8080/v1/events?types=job', auth: 'Bearer tok', last: null },
    { url: 'http://engine:8080/v1/events?types=job', auth: 'Bearer tok', last: '5-0' },
  ]);
  assert.deepEqual(f.out.map((l) => (JSON.parse(l) as { id: string; action: string }).action), ['submitted', 'succeeded']);
  assert.match(f.err.join('\n'), /resuming after 5-0/);
});

test('events --count stops after that many even when one chunk holds more (a replay), and says nothing of a reconnect', async () => {
  let calls = 0;
  const three = [ev('1-0', 'job', 'submitted', {}), ev('2-0', 'job', 'succeeded', {}), ev('3-0', 'job', 'submitted', {})].map(frame).join('');
  const f = io((async () => (calls++, new Response(streamOf(three), { status: 200 }))) as typeof fetch);
  assert.equal(await runApiCommand(eventsCommand, ['--count', '2', '--after', '0-1'], f.io), EXIT.ok);
  assert.equal(f.out.length, 2);
  assert.equal(calls, 1);
  assert.deepEqual(f.err, []);
});

test('events: a 4xx is a refusal (exit 4) naming the field; a bad --count is a usage error', async () => {
  const f = io((async () => new Response(JSON.stringify({ error: { code: 'invalid_query', message: 'types: must be …', field: 'types' } }), { status: 400 })) as typeof fetch);
  await assert.rejects(runApiCommand(eventsCommand, ['--types', 'vm'], f.io), (e: unknown) => e instanceof ApiRefusal && e.exitCode === EXIT.refused && e.field === 'types');
  await assert.rejects(runApiCommand(eventsCommand, ['--count', '0'], f.io), (e: unknown) => e instanceof Error && /--count/.test(e.message));
});
