// Imported first by main.ts: the libuv pool size the services run with (infra/systemd, the Makefile), set before
// anything uses the pool. Per-domain strategies issue one call per VM at once; with libuv's default 4 threads
// more than 4 VMs would queue.
process.env['UV_THREADPOOL_SIZE'] ??= '16';
export const threadpoolSize = Number(process.env['UV_THREADPOOL_SIZE']);
