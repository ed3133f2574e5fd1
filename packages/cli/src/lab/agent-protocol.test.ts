import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeExec, encodePing, ReplyParser } from './agent-protocol.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const reply = (id: string, rc: number, out: string | Buffer, wrap = 76): string => {
  const enc = b64(out).replace(new RegExp(`(.{${wrap}})`, 'g'), '$1\n');
  const body = enc.length > 0 && !enc.endsWith('\n') ? `${enc}\n` : enc;
  return `R ${id} ${rc} ${body.length}\n${body}`;
};

test('encodes ping and exec requests as single lines', () => {
  assert.equal(encodePing('a1'), 'P a1\n');
  const line = encodeExec('x-1', 'echo "hi"\nexit 3', 30);
  assert.match(line, /^X x-1 30 [A-Za-z0-9+/=]+\n$/);
  assert.equal(Buffer.from(line.trim().split(' ')[3] ?? '', 'base64').toString(), 'echo "hi"\nexit 3');
});

test('rejects bad ids and timeouts', () => {
  assert.throws(() => encodePing('a b'), RangeError);
  assert.throws(() => encodePing(''), RangeError);
  assert.throws(() => encodeExec('ok', 'true', 0), RangeError);
  assert.throws(() => encodeExec('ok', 'true', 1.5), RangeError);
});

test('parses a reply with wrapped base64 output and arbitrary bytes', () => {
  const out = Buffer.concat([Buffer.from('line 1\nR fake 0 3\n'), Buffer.from([0, 255, 10, 13]), Buffer.alloc(300, 65)]);
  const p = new ReplyParser();
  const got = p.push(Buffer.from(reply('id7', 3, out)));
  assert.equal(got.length, 1);
  assert.equal(got[0]?.id, 'id7');
  assert.equal(got[0]?.exitCode, 3);
  assert.deepEqual(got[0]?.output, out);
  assert.equal(p.buffered, 0);
});

test('handles replies split at every byte boundary', () => {
  const wire = Buffer.from(reply('a', 0, 'hello world\n') + reply('b', 1, ''));
  const p = new ReplyParser();
  const got = [];
  for (const byte of wire) got.push(...p.push(Buffer.from([byte])));
  assert.deepEqual(
    got.map((r) => [r.id, r.exitCode, r.output.toString()]),
    [
      ['a', 0, 'hello world\n'],
      ['b', 1, ''],
    ],
  );
});

test('skips garbage lines and stale partial payloads before a header', () => {
  const p = new ReplyParser();
  const got = p.push(Buffer.from(`GVsbG8K\nnoise\nR bad id 0\n${reply('ok', 0, 'x')}`));
  assert.deepEqual(
    got.map((r) => [r.id, r.output.toString()]),
    [['ok', 'x']],
  );
});

test('an empty ping reply has no payload', () => {
  const got = new ReplyParser().push(Buffer.from('R p1 0 0\n'));
  assert.deepEqual(got, [{ id: 'p1', exitCode: 0, output: Buffer.alloc(0) }]);
});
