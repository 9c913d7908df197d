// Sign-in settings (--auth none|basic|local|oidc and friends): their types, validation and the loopback rule.

import { isIP } from 'node:net';
import { join } from 'node:path';

export type AuthMode = 'none' | 'basic' | 'local' | 'oidc';

export const AUTH_MODES: readonly AuthMode[] = ['none', 'basic', 'local', 'oidc'];

export interface OidcConfig {
  /** The provider's issuer URL; its discovery document lives under it. */
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE only). */
  clientSecret: string | undefined;
  /** Where the provider sends the browser back; derived from the listening address when absent. */
  redirectUrl: string | undefined;
}

export interface AuthConfig {
  mode: AuthMode;
  /** `--auth basic`: the one user name and password. */
  credential: { user: string; password: string } | undefined;
  /** `--auth local`: the users file (argon2id hashes). */
  usersFile: string;
  /** User ids allowed to create rooms; undefined means every signed-in user (or anyone under `none`). */
  creators: readonly string[] | undefined;
  oidc: OidcConfig | undefined;
}

/** The users file's name inside the data folder, unless --users-file names another. */
export const USERS_FILE = 'users.json';

export function defaultUsersFile(dataDir: string): string {
  return join(dataDir, USERS_FILE);
}

/** Sign-in off, as the server was before sign-in existed: loopback only. */
export function noAuth(dataDir: string): AuthConfig {
  return { mode: 'none', credential: undefined, usersFile: defaultUsersFile(dataDir), creators: undefined, oidc: undefined };
}

/**
 * Whether `host` (a --host value) only accepts connections from this machine: 127.0.0.0/8, ::1 (and its
 * IPv4-mapped form), or the name `localhost`. Any other name could resolve anywhere, so it is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return bare.split('.')[0] === '127';
  if (family === 6) {
    const lower = bare.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.split('.')[0] === '127';
  }
  return false;
}

/** Whether `host` is an address that listens on every interface, where no single public origin exists. */
export function isWildcardHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare === '0.0.0.0' || bare === '::' || bare === '';
}

/** User names of `--auth basic` and the users file: short, printable, no colon (Basic splits on it). */
export const USER_NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Splits `user:password` at the first colon. The error message never repeats the value: it is a secret.
 * Returns the credential or an error message.
 */
export function parseCredential(raw: string, source: string): { user: string; password: string } | string {
  const colon = raw.indexOf(':');
  if (colon === -1) return `${source} must be user:password (no colon found)`;
  const user = raw.slice(0, colon);
  const password = raw.slice(colon + 1);
  if (!USER_NAME_PATTERN.test(user)) return `${source}: the user name must be 1 to 64 letters, digits or . _ @ -`;
  if (password.length === 0) return `${source}: the password is empty`;
  return { user, password };
}

/** `--creators local:alice,oidc:1234`: user ids, comma separated; empty entries are refused. */
export function parseCreators(raw: string, source: string): string[] | string {
  const ids = raw.split(',').map((id) => id.trim());
  if (ids.some((id) => id.length === 0)) return `${source} must be user ids separated by commas (e.g. local:alice,oidc:1234)`;
  const bad = ids.find((id) => !/^(basic|local|oidc):\S+$/.test(id));
  if (bad !== undefined) return `${source}: "${bad}" is not a user id (basic:NAME, local:NAME or oidc:SUBJECT)`;
  return ids;
}

/**
 * An issuer must be https, except on a loopback host (a provider on this machine, as in the tests): an
 * http issuer elsewhere would let anyone on the path forge sign-ins. Returns an error message or undefined.
 */
export function checkIssuerUrl(raw: string, source: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${source} must be a URL (e.g. https://accounts.example.com)`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `${source} must be an https URL (http only for a provider on this machine), got ${url.protocol}//${url.host}`;
}

/** The sign-in option values as read from argv or the environment (strings; flags as 0/1). */
export interface RawAuthOptions {
  auth?: string;
  allowUnauthenticated: boolean;
  credential?: string;
  usersFile?: string;
  creators?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecret?: string;
  oidcRedirectUrl?: string;
}

/** Names an option the way the operator may have set it, for error messages. */
function source(option: string): string {
  return `--${option} (TTYROOM_${option.toUpperCase().replace(/-/g, '_')})`;
}

/**
 * Checks the sign-in options against each other and against the listening host. Returns the settings, or
 * one line saying what is wrong (never repeating a secret).
 */
export function buildAuthConfig(raw: RawAuthOptions, host: string, usersFileDefault: string): AuthConfig | string {
  const mode = (raw.auth ?? 'none') as AuthMode;
  if (!AUTH_MODES.includes(mode)) return `${source('auth')} must be one of ${AUTH_MODES.join(', ')}, got "${raw.auth}"`;
  if (mode === 'none' && !isLoopbackHost(host) && !raw.allowUnauthenticated) {
    return `refusing to listen on ${host} without sign-in: anyone who reaches it could run commands; `
      + 'use --auth basic|local|oidc, or pass --allow-unauthenticated to accept that';
  }
  if (mode !== 'basic' && raw.credential !== undefined) return `${source('credential')} is only used with --auth basic`;
  if (mode !== 'oidc' && (raw.oidcIssuer ?? raw.oidcClientId ?? raw.oidcClientSecret ?? raw.oidcRedirectUrl) !== undefined) {
    return 'the --oidc-* options are only used with --auth oidc';
  }
  if (mode === 'none' && raw.creators !== undefined) return `${source('creators')} needs sign-in (--auth basic|local|oidc): without it there are no user ids`;

  let credential: AuthConfig['credential'];
  if (mode === 'basic') {
    if (raw.credential === undefined) return `--auth basic needs ${source('credential')} user:password`;
    const parsed = parseCredential(raw.credential, source('credential'));
    if (typeof parsed === 'string') return parsed;
    credential = parsed;
  }

  let creators: string[] | undefined;
  if (raw.creators !== undefined) {
    const parsed = parseCreators(raw.creators, source('creators'));
    if (typeof parsed === 'string') return parsed;
    creators = parsed;
  }

  let oidc: OidcConfig | undefined;
  if (mode === 'oidc') {
    if (raw.oidcIssuer === undefined) return `--auth oidc needs ${source('oidc-issuer')}`;
    const issuerError = checkIssuerUrl(raw.oidcIssuer, source('oidc-issuer'));
    if (issuerError) return issuerError;
    if (raw.oidcClientId === undefined || raw.oidcClientId.length === 0) return `--auth oidc needs ${source('oidc-client-id')}`;
    if (raw.oidcRedirectUrl !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(raw.oidcRedirectUrl);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `${source('oidc-redirect-url')} must be an http(s) URL`;
    } else if (isWildcardHost(host)) {
      return `--auth oidc on ${host} needs ${source('oidc-redirect-url')}: the provider must send browsers to an address they can reach`;
    }
    oidc = {
      issuer: raw.oidcIssuer,
      clientId: raw.oidcClientId,
      clientSecret: raw.oidcClientSecret === '' ? undefined : raw.oidcClientSecret,
      redirectUrl: raw.oidcRedirectUrl,
    };
  }

  return { mode, credential, usersFile: raw.usersFile ?? usersFileDefault, creators, oidc };
}
