// KnownHosts: the server's own store of trusted SSH host keys (<data-dir>/ssh_known_hosts), by SHA-256 fingerprint.

import { appendFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The store's file in the data directory; the operator may add lines to it with any editor (README.md, Profiles). */
export const KNOWN_HOSTS_FILE = 'ssh_known_hosts';

/** `SHA256:` and 43 characters of unpadded base64: OpenSSH's form of a SHA-256 fingerprint. */
const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A host key blob (the SSH wire encoding) as OpenSSH prints its fingerprint: `SHA256:` + unpadded base64. */
export function fingerprintOf(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function isFingerprint(value: unknown): value is string {
  return typeof value === 'string' && FINGERPRINT_PATTERN.test(value);
}

/** How a host is named in the store: `host:port`, with brackets around an IPv6 address (`[::1]:22`). */
export function hostEntryName(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** 'trusted': a stored key has this fingerprint; 'unknown': none is stored for the host; 'changed': others are. */
export type HostKeyVerdict =
  | { kind: 'trusted' }
  | { kind: 'unknown' }
  | { kind: 'changed'; expected: string };

export class KnownHosts {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, KNOWN_HOSTS_FILE);
  }

  /** Read from the file each time, so a line the operator added counts without a restart. */
  check(host: string, port: number, fingerprint: string): HostKeyVerdict {
    const stored = this.fingerprintsOf(hostEntryName(host, port));
    if (stored.includes(fingerprint)) return { kind: 'trusted' };
    if (stored.length === 0) return { kind: 'unknown' };
    return { kind: 'changed', expected: stored[0]! };
  }

  add(host: string, port: number, fingerprint: string, note: string): void {
    if (!isFingerprint(fingerprint)) throw new Error(`not a SHA256 fingerprint: ${fingerprint}`);
    // One line per key, appended: an earlier trust is never rewritten by a later one.
    appendFileSync(this.file, `${hostEntryName(host, port)} ${fingerprint} ${note.replace(/[\r\n]/g, ' ')}\n`, { mode: 0o644 });
  }

  private fingerprintsOf(entry: string): string[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: string[] = [];
    for (const line of text.split('\n')) {
      const [name, fingerprint] = line.trim().split(/\s+/);
      // Comments, blank lines and lines that are not `NAME SHA256:…` are ignored, never guessed at.
      if (name === entry && isFingerprint(fingerprint)) found.push(fingerprint);
    }
    return found;
  }
}
