import net from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (ip_local_port_range, 32768-60999 by default): a port the
 * kernel handed out as free (listen on 0) comes from that range, and between our check and the service's
 * listen the kernel can give it to an outgoing connection as its source port (seen on CI: a policy engine's
 * EADDRINUSE on a port freePort had just returned). Ports this process already handed out are not reused.
 */
const LOW = 20000;
const HIGH = 32700;
const handedOut = new Set<number>();

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the kernel's ephemeral range when it can be. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if ((await tryListen(port)) !== undefined) {
      handedOut.add(port);
      return port;
    }
  }
  const any = await tryListen(0);
  if (any === undefined) throw new Error('freePort: no free TCP port on 127.0.0.1');
  return any;
}
