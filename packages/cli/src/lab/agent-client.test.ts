import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { CliError } from '../cli-error.js';
import { AgentClient } from './agent-client.js';

// A fake agent on a unix socket, speaking the guest agent's protocol.
const dir = mkdtempSync(path.join(tmpdir(), 'ballast-agent-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeAgent(file: string, onLine: (line: string, reply: (s: string) => void) => void): net.Server {
  const server = net.createServer((conn) => {
    conn.write('H /dev/vport0p1\n');
    let buf = '';
    conn.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line, (s) => conn.write(s));
      }
    });
    conn.on('error', () => {});
  });
  server.listen(file);
  return server;
}

const frame = (id: string, rc: number, out: string) => {
  const b = `${Buffer.from(out).toString('base64')}\n`;
  return `R ${id} ${rc} ${b.length}\n${b}`;
};

test('exec sends a base64 script and skips hello lines and stale replies', async () => {
  const sock = path.join(dir, 'a.sock');
  let seen = '';
  const server = fakeAgent(sock, (line, reply) => {
    const [, id, timeout, b64] = line.split(' ');
    seen = `${timeout} ${Buffer.from(b64 ?? '', 'base64').toString()}`;
    reply(frame('stale1', 0, 'old output'));
    reply(frame(id ?? '', 3, 'out\nerr\n'));
  });
  try {
    const r = await new AgentClient(sock).exec('echo "a b"; exit 3', 7);
    assert.equal(seen, '7 echo "a b"; exit 3');
    assert.equal(r.exitCode, 3);
    assert.equal(r.output.toString(), 'out\nerr\n');
  } finally {
    server.close();
  }
});

test('ping retries until the socket appears', async () => {
  const sock = path.join(dir, 'late.sock');
  let server: net.Server | undefined;
  setTimeout(() => {
    server = fakeAgent(sock, (line, reply) => reply(`R ${line.split(' ')[1]} 0 0\n`));
  }, 300);
  try {
    const rtt = await new AgentClient(sock, { connectTimeoutMs: 3000 }).ping(2000);
    assert.ok(rtt >= 0);
  } finally {
    server?.close();
  }
});

test('a missing socket is a CliError naming the VM', async () => {
  await assert.rejects(
    new AgentClient(path.join(dir, 'none.sock'), { label: 'lab-vm7', connectTimeoutMs: 200 }).ping(500),
    (e: unknown) => e instanceof CliError && /^agent of lab-vm7 unreachable: no control socket/.test(e.message),
  );
});

test('a silent agent times out with a clear error', async () => {
  const sock = path.join(dir, 'silent.sock');
  const server = fakeAgent(sock, () => {});
  try {
    await assert.rejects(
      new AgentClient(sock, { label: 'lab-vm1' }).ping(300),
      (e: unknown) => e instanceof CliError && /did not answer within 0\.3 s/.test(e.message),
    );
  } finally {
    server.close();
  }
});
