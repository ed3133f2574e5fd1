import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGracefulShutdown, type ShutdownLogger } from './graceful-shutdown.js';

function recordingLogger(): ShutdownLogger & { entries: { level: string; obj: object; msg?: string }[] } {
  const entries: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('createGracefulShutdown', () => {
  it('runs steps in reverse order, awaiting each, then exits 0', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const logger = recordingLogger();
    const shutdown = createGracefulShutdown({ signals: [], exit: (c) => void codes.push(c), logger });
    shutdown.add('redis', () => void order.push('redis'));
    shutdown.add('grpc server', async () => {
      await sleep(20);
      order.push('grpc server');
    });
    shutdown.add('ops server', async () => void order.push('ops server'));
    const result = await shutdown.shutdown('test');
    assert.deepEqual(order, ['ops server', 'grpc server', 'redis']);
    assert.deepEqual(codes, [0]);
    assert.deepEqual(result, { code: 0, failed: [], skipped: [] });
    assert.ok(logger.entries.some((e) => e.msg === 'stopped' && (e.obj as { step: string }).step === 'grpc server'));
  });

  it('a failing step is logged, the others still run, and the exit code is 1', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const logger = recordingLogger();
    const shutdown = createGracefulShutdown({ signals: [], exit: (c) => void codes.push(c), logger });
    shutdown.add('first', () => void order.push('first'));
    shutdown.add('throws', () => {
      throw new Error('sync boom');
    });
    shutdown.add('rejects', async () => {
      throw new Error('async boom');
    });
    const result = await shutdown.shutdown();
    assert.deepEqual(order, ['first']);
    assert.deepEqual(result.failed, ['rejects', 'throws']);
    assert.equal(result.code, 1);
    assert.deepEqual(codes, [1]);
    assert.equal(logger.entries.filter((e) => e.level === 'error').length, 2);
  });

  it('gives up at the deadline, skips the remaining steps and exits 1', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const shutdown = createGracefulShutdown({ signals: [], exit: (c) => void codes.push(c), timeoutMs: 50 });
    shutdown.add('never reached', () => void order.push('never reached'));
    shutdown.add('hangs', () => new Promise(() => {}));
    shutdown.add('quick', () => void order.push('quick'));
    const started = Date.now();
    const result = await shutdown.shutdown();
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 45 && elapsed < 1000, `took ${elapsed} ms`);
    assert.deepEqual(order, ['quick']);
    assert.equal(result.timedOutStep, 'hangs');
    assert.deepEqual(result.skipped, ['never reached']);
    assert.deepEqual(codes, [1]);
  });

  it('runs only once however often it is called', async () => {
    let runs = 0;
    const codes: number[] = [];
    const shutdown = createGracefulShutdown({ signals: [], exit: (c) => void codes.push(c) });
    shutdown.add('count', () => void runs++);
    const [a, b] = await Promise.all([shutdown.shutdown(), shutdown.shutdown()]);
    assert.equal(a, b);
    assert.equal(runs, 1);
    assert.deepEqual(codes, [0]);
    assert.equal(shutdown.shuttingDown, true);
    assert.throws(() => shutdown.add('late', () => {}), /already started/);
  });

  it('a signal starts the shutdown; a second one forces exit 1 (emitted in-process)', async () => {
    const codes: number[] = [];
    const shutdown = createGracefulShutdown({ signals: ['SIGUSR2'], exit: (c) => void codes.push(c), timeoutMs: 200 });
    try {
      shutdown.add('hangs', () => new Promise(() => {}));
      process.emit('SIGUSR2', 'SIGUSR2');
      assert.equal(shutdown.shuttingDown, true);
      process.emit('SIGUSR2', 'SIGUSR2');
      assert.deepEqual(codes, [1], 'second signal exits 1 at once');
    } finally {
      shutdown.dispose();
    }
    assert.equal(process.listenerCount('SIGUSR2'), 0, 'dispose removes the handler');
  });
});

/** Starts a child that registers steps and prints 'ready'; returns it with its collected stdout. */
async function child(stepsCode: string) {
  const moduleUrl = new URL('./graceful-shutdown.js', import.meta.url).href;
  const script = `
    import { createGracefulShutdown } from ${JSON.stringify(moduleUrl)};
    const log = (o, m) => console.log(m + ' ' + JSON.stringify(o));
    const shutdown = createGracefulShutdown({ timeoutMs: 5000, logger: { info: log, warn: log, error: log } });
    ${stepsCode}
    setInterval(() => {}, 1000);
    console.log('ready');`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => (stdout += chunk));
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  while (!stdout.includes('ready')) await sleep(10);
  return { proc, exited, stdout: () => stdout };
}

describe('createGracefulShutdown with real signals', () => {
  it('SIGTERM runs the steps in reverse order and exits 0', async () => {
    const c = await child(`
      shutdown.add('a', () => console.log('step a'));
      shutdown.add('b', async () => { await new Promise((r) => setTimeout(r, 20)); console.log('step b'); });`);
    c.proc.kill('SIGTERM');
    const [code, signal] = await c.exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    const out = c.stdout();
    assert.ok(out.indexOf('step b') < out.indexOf('step a') && out.indexOf('step b') > 0, out);
    assert.match(out, /shutting down \{"reason":"SIGTERM"/);
  });

  it('a second SIGINT during a hanging step exits 1 at once', async () => {
    const c = await child(`shutdown.add('hang', () => { console.log('hanging'); return new Promise(() => {}); });`);
    c.proc.kill('SIGINT');
    while (!c.stdout().includes('hanging')) await sleep(10);
    const started = Date.now();
    c.proc.kill('SIGINT');
    const [code] = await c.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - started < 2000, 'did not wait for the 5 s deadline');
    assert.match(c.stdout(), /second signal during shutdown/);
  });
});
