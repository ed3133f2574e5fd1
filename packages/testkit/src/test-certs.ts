import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM files made by openssl for a TLS test on loopback; `otherCaFile` is a CA that signed none of them. */
export interface TestCerts {
  dir: string;
  caFile: string;
  /** The server's certificate (CN localhost; SAN IP 127.0.0.1, DNS localhost) and key, signed by caFile. */
  certFile: string;
  keyFile: string;
  /** A client certificate and key, signed by caFile. */
  clientCertFile: string;
  clientKeyFile: string;
  otherCaFile: string;
}

/** EC P-256 keys: made in milliseconds (RSA 2048 takes about a second each on a busy machine). */
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...KEY, '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.pem`]);
}

function signed(dir: string, name: string, cn: string, ext: string): void {
  openssl(dir, ['req', ...KEY, '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

/** Makes a CA, a server and a client certificate signed by it, and an unrelated CA, in a temp dir (about 0.2 s). */
export function makeTestCerts(dir = mkdtempSync(path.join(tmpdir(), 'ballast-certs-'))): TestCerts {
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'other-ca');
  signed(dir, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed(dir, 'client', 'ballast-client', 'extendedKeyUsage=clientAuth');
  const f = (name: string) => path.join(dir, name);
  return {
    dir,
    caFile: f('ca.pem'),
    certFile: f('server.pem'),
    keyFile: f('server-key.pem'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client-key.pem'),
    otherCaFile: f('other-ca.pem'),
  };
}
