// SSH passwords at rest: AES-256-GCM under the server key (TTYROOM_SECRET_KEY, or <data-dir>/secret.key made 0600), one entry per profile in <data-dir>/ssh_credentials.json.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';

export const CredentialFiles = {
  /** The server key when no TTYROOM_SECRET_KEY is given: 32 random bytes, readable by the server's user only. */
  KeyFile: 'secret.key',
  /** The encrypted passwords, by profile name. */
  CredentialsFile: 'ssh_credentials.json',
} as const;

export const Aes = {
  /** AES-256: bytes of key. */
  KeyBytes: 32,
  /** GCM's recommended nonce length, in bytes; a fresh random one per encryption. */
  IvBytes: 12,
  /** GCM's full tag, in bytes: a tampered or misplaced entry fails to open instead of yielding garbage. */
  TagBytes: 16,
  /** Of the file format, so a later version can tell an old file from its own. */
  FormatVersion: 1,
} as const;

/** Permission bits that let anyone but the owner read the key file. */
const GROUP_OR_OTHER = 0o077;

export class CredentialError extends Error {}

interface SealedEntry {
  iv: string;
  tag: string;
  data: string;
}

interface CredentialsFile {
  version: number;
  entries: Record<string, SealedEntry>;
}

/**
 * The server key: TTYROOM_SECRET_KEY (64 hex digits, or base64 of 32 bytes) when given, else the key file in the data
 * directory, made on first use. Throws CredentialError for a key that cannot be used.
 */
export function loadServerKey(dataDir: string, fromEnvironment: string | undefined): Buffer {
  if (fromEnvironment !== undefined) {
    const text = fromEnvironment.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== Aes.KeyBytes) throw new CredentialError(`TTYROOM_SECRET_KEY must be ${Aes.KeyBytes} bytes as 64 hex digits or base64`);
    return key;
  }
  const file = join(dataDir, CredentialFiles.KeyFile);
  try {
    // O_EXCL: two servers starting on one data directory cannot both write a key and each use its own.
    const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    const key = randomBytes(Aes.KeyBytes);
    try {
      writeSync(fd, key);
    } finally {
      closeSync(fd);
    }
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new CredentialError(`${file}: cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const fd = openSync(file, fsConstants.O_RDONLY);
  try {
    // Like ssh with a private key: a key others can read protects nothing, so it is refused rather than used.
    if ((fstatSync(fd).mode & GROUP_OR_OTHER) !== 0) throw new CredentialError(`${file}: readable by others; chmod 600 it`);
    const key = readFileSync(fd);
    if (key.length !== Aes.KeyBytes) throw new CredentialError(`${file}: must hold exactly ${Aes.KeyBytes} bytes`);
    return key;
  } finally {
    closeSync(fd);
  }
}

/** Passwords sealed under the server key; each entry is bound to its profile name (GCM's additional data). */
export class CredentialStore {
  readonly file: string;

  constructor(dataDir: string, private readonly key: Buffer) {
    this.file = join(dataDir, CredentialFiles.CredentialsFile);
  }

  has(profile: string): boolean {
    return Object.hasOwn(this.read().entries, profile);
  }

  /** Seals `password` for `profile`, replacing what was stored for it. */
  put(profile: string, password: string): void {
    const contents = this.read();
    const iv = randomBytes(Aes.IvBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: Aes.TagBytes });
    cipher.setAAD(Buffer.from(profile, 'utf8'));
    const data = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
    contents.entries[profile] = { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    // Written whole and renamed into place: a crash leaves the old file or the new one, never half of one.
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  /** The password of `profile`, opened only for the moment of a sign-in; throws CredentialError when it cannot be. */
  open(profile: string): string {
    const entry = this.read().entries[profile];
    if (entry === undefined) throw new CredentialError(`no stored password for profile "${profile}"`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(entry.iv, 'base64'), { authTagLength: Aes.TagBytes });
      decipher.setAAD(Buffer.from(profile, 'utf8'));
      decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialError(`the stored password of profile "${profile}" cannot be opened with this server key (another key, or the file was altered)`);
    }
  }

  private read(): CredentialsFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: Aes.FormatVersion, entries: {} };
      throw error;
    }
    let parsed: CredentialsFile;
    try {
      parsed = JSON.parse(text) as CredentialsFile;
    } catch {
      throw new CredentialError(`${this.file}: not valid JSON`);
    }
    if (parsed.version !== Aes.FormatVersion || typeof parsed.entries !== 'object' || parsed.entries === null) {
      throw new CredentialError(`${this.file}: not a credentials file of this version`);
    }
    return parsed;
  }
}
