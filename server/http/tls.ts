// TLS material from --tls-cert, --tls-key and --tls-ca-crt: read once at start, checked by building a secure context, refused with one clear line.

import { readFileSync } from 'node:fs';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { ConfigError } from '../util/configError.js';

/** PEM files named on the command line; `ca` turns on client certificates (GoTTY's --tls-ca-crt). */
export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`--${option}: cannot read ${path} (${code})`);
  }
}

/** First line of an OpenSSL error, which can span several; the option names say where to look. */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Options for https.createServer. With a CA, a client must present a certificate signed by it; the TLS
 * handshake fails otherwise, before any HTTP request is read. Throws ConfigError.
 */
export function loadTls(files: TlsFiles): TlsOptions {
  const cert = readPem('tls-cert', files.cert);
  const key = readPem('tls-key', files.key);
  const ca = files.ca === undefined ? undefined : readPem('tls-ca-crt', files.ca);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`--tls-cert/--tls-key: not a PEM certificate and its private key (${firstLine(error)})`);
  }
  if (ca === undefined) return { cert, key };
  try {
    createSecureContext({ ca });
  } catch (error) {
    throw new ConfigError(`--tls-ca-crt: not a PEM CA certificate (${firstLine(error)})`);
  }
  // createSecureContext accepts a file with no certificate in it as an empty CA list, which would refuse everyone.
  if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`--tls-ca-crt: ${files.ca} holds no PEM certificate`);
  return { cert, key, ca, requestCert: true, rejectUnauthorized: true };
}
