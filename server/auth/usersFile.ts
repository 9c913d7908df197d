// The users file of `--auth local`: user names with argon2id hashes (JSON, mode 0600), read, changed and checked here.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import argon2 from 'argon2';
import { USER_NAME_PATTERN } from './authMode.js';
import { log } from '../util/logger.js';

/**
 * argon2id cost: OWASP's first recommended setting (19 MiB, 2 passes, 1 lane). It takes tens of ms per
 * check, and a burst of sign-in attempts costs 19 MiB each, not argon2's default 64 MiB.
 */
export const PasswordHashing = {
  MemoryCostKiB: 19 * 1024,
  TimeCost: 2,
  Parallelism: 1,
} as const;

export const UsersFileLimits = {
  /** A password this long is a paste accident or an attack on the hash's cost; passphrases fit easily. */
  MaxPasswordLength: 1024,
  /** The file is read on sign-ins; a multi-megabyte one is not ours. */
  MaxFileBytes: 4 * 1024 * 1024,
} as const;

/** Owner read/write only: hashes are offline-guessable. */
export const USERS_FILE_MODE = 0o600;

const FILE_VERSION = 1;

interface UsersFileContent {
  version: number;
  users: Record<string, { hash: string }>;
}

export class UsersFileError extends Error {}

export function isValidUserName(name: string): boolean {
  return USER_NAME_PATTERN.test(name);
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: PasswordHashing.MemoryCostKiB,
    timeCost: PasswordHashing.TimeCost,
    parallelism: PasswordHashing.Parallelism,
  });
}

/** Checks one password against one hash; a damaged hash is a mismatch, never an exception. */
async function verifyHash(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * The users file. Reads go through a cache keyed on the file's modification time and size, so
 * `ttyroom user add/remove` on a running server takes effect at the next sign-in or request.
 */
export class UsersFile {
  private cache: { mtimeMs: number; size: number; users: Map<string, string> } | undefined;
  /** Hash of a random password, checked when the user is unknown so both answers cost the same. */
  private dummyHash: Promise<string> | undefined;

  constructor(readonly path: string) {}

  /** The users and their hashes; an absent file is no users. Throws UsersFileError for a damaged file. */
  read(): Map<string, string> {
    let stat;
    try {
      stat = statSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new UsersFileError(`cannot read the users file ${this.path}: ${(error as Error).message}`);
    }
    if (this.cache && this.cache.mtimeMs === stat.mtimeMs && this.cache.size === stat.size) return this.cache.users;
    if (stat.size > UsersFileLimits.MaxFileBytes) throw new UsersFileError(`the users file ${this.path} is larger than ${UsersFileLimits.MaxFileBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new UsersFileError(`the users file ${this.path} is not valid JSON: ${(error as Error).message}`);
    }
    const users = new Map<string, string>();
    const content = parsed as Partial<UsersFileContent>;
    if (typeof content !== 'object' || content === null || content.version !== FILE_VERSION || typeof content.users !== 'object' || content.users === null) {
      throw new UsersFileError(`the users file ${this.path} is not a ttyroom users file (version ${FILE_VERSION})`);
    }
    for (const [name, entry] of Object.entries(content.users)) {
      if (isValidUserName(name) && typeof entry?.hash === 'string') users.set(name, entry.hash);
    }
    this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, users };
    return users;
  }

  has(name: string): boolean {
    return this.read().has(name);
  }

  /**
   * Whether `password` is `name`'s. An unknown user costs one hash check as well (against a dummy), so
   * the answer's timing does not tell which names exist.
   */
  async verify(name: string, password: string): Promise<boolean> {
    if (password.length > UsersFileLimits.MaxPasswordLength) return false;
    let hash: string | undefined;
    try {
      hash = isValidUserName(name) ? this.read().get(name) : undefined;
    } catch (error) {
      log.error({}, `${(error as Error).message}; nobody can sign in until it is fixed`);
      hash = undefined;
    }
    if (hash === undefined) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
      await verifyHash(await this.dummyHash, password);
      return false;
    }
    return verifyHash(hash, password);
  }

  /** Adds the user or replaces their password; returns whether the user existed. */
  async set(name: string, password: string): Promise<'added' | 'changed'> {
    if (!isValidUserName(name)) throw new UsersFileError(`"${name}" is not a valid user name: 1 to 64 letters, digits or . _ @ -`);
    if (password.length === 0) throw new UsersFileError('the password is empty');
    if (password.length > UsersFileLimits.MaxPasswordLength) throw new UsersFileError(`the password is longer than ${UsersFileLimits.MaxPasswordLength} characters`);
    const hash = await hashPassword(password);
    const users = new Map(this.read());
    const existed = users.has(name);
    users.set(name, hash);
    this.write(users);
    return existed ? 'changed' : 'added';
  }

  /** Removes the user; returns false when there was no such user. */
  remove(name: string): boolean {
    const users = new Map(this.read());
    if (!users.delete(name)) return false;
    this.write(users);
    return true;
  }

  /** Writes a temporary file next to the real one and renames it over, so a reader never sees half a file. */
  private write(users: Map<string, string>): void {
    const content: UsersFileContent = { version: FILE_VERSION, users: {} };
    for (const [name, hash] of [...users].sort(([a], [b]) => a.localeCompare(b))) content.users[name] = { hash };
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: USERS_FILE_MODE });
    // The mode above only applies when the file is created; a leftover temporary could be looser.
    chmodSync(temporary, USERS_FILE_MODE);
    renameSync(temporary, this.path);
    this.cache = undefined;
  }
}
