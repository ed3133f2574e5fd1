import { isIP } from 'node:net';

/**
 * True for an address only this machine can reach: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z or in
 * brackets) and `localhost`. Everything else — 0.0.0.0, ::, a LAN address, any other host name — is not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // the URL parser writes an IPv6 address in its shortest form: ::1, ::ffff:7f00:1 (for ::ffff:127.0.0.1)
  const short = new URL(`http://[${h}]/`).hostname;
  return short === '[::1]' || short.startsWith('[::ffff:7f');
}

export interface InsecureListener {
  /** What listens: 'gRPC', 'HTTP API', 'ops HTTP (/metrics, /healthz)'. */
  what: string;
  host: string;
  port: number;
  /** Whether the listener speaks TLS. */
  tls: boolean;
  /** What to do about it, e.g. 'set tlsCertFile and tlsKeyFile, or bind grpcHost to 127.0.0.1'. */
  fix: string;
}

/**
 * The warning a service logs at start when it listens beyond loopback without TLS (undefined when it does
 * not): starts with `INSECURE:`, names the address and says what to do.
 */
export function insecureListenerWarning(l: InsecureListener): string | undefined {
  if (l.tls || isLoopbackHost(l.host)) return undefined;
  const addr = l.host.includes(':') && !l.host.startsWith('[') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
  return `INSECURE: ${l.what} listens on ${addr} without TLS — anyone who can reach it reads (and can replay) what crosses it, tokens included; ${l.fix}`;
}
