// Throwaway TLS material for tests, made with the openssl command: a CA, a server certificate for 127.0.0.1, client certificates from that CA and from a stranger CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Signed by `ca`. */
  clientCert: string;
  clientKey: string;
  /** Signed by a CA the server does not know. */
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

/** A day is far more than any test run, and short enough that a stray file is useless soon. */
const VALID_DAYS = '1';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** EC keys: generated in milliseconds, unlike RSA. */
function newKeyAndRequest(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', VALID_DAYS, '-subj', `/CN=${name}`]);
}

function sign(dir: string, name: string, ca: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(Date.now()),
    '-out', `${name}.crt`, '-days', VALID_DAYS, '-extfile', `${name}.ext`]);
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-tls-'));
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'stranger-ca');
  newKeyAndRequest(dir, 'server', '/CN=127.0.0.1');
  sign(dir, 'server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  newKeyAndRequest(dir, 'client', '/CN=alice');
  sign(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
  newKeyAndRequest(dir, 'stranger', '/CN=mallory');
  sign(dir, 'stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string): string => join(dir, file);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
