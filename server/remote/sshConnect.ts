// Opens an SSH room's session: connect, check the host key against the server's store, sign in, start a shell with a pty of the room's size.

import { readFileSync } from 'node:fs';
import ssh2, { type ClientChannel } from 'ssh2';
import { fingerprintOf, type KnownHosts } from './knownHosts.js';
import { SshSession } from './sshSession.js';

export const SshTiming = {
  /**
   * ms between keepalive@openssh.com requests on an idle connection: the OpenSSH client's usual ServerAliveInterval
   * choice. A host that vanished without closing the connection (powered off, network cut) is noticed after
   * KeepaliveIntervalMs × KeepaliveCountMax.
   */
  KeepaliveIntervalMs: 30_000,
  /** Unanswered keepalives in a row before the connection is given up: 90 s of silence with the interval above. */
  KeepaliveCountMax: 3,
  /** ms from the TCP connect to a signed-in connection; a host that does not answer in this long is unreachable. */
  ReadyTimeoutMs: 20_000,
} as const;

/** SshTiming with any of its values replaced (tests shorten the keepalive). */
export type SshTimingSettings = { [K in keyof typeof SshTiming]?: number };

/** TERM of the remote pty: what the mirror and the browsers' xterm.js understand. */
export const REMOTE_TERM = 'xterm-256color';

export type HostKeyPolicy = 'ask' | 'known-only';

/** Where and as whom a room's shell is opened. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  /** The password, opened from the credential store only now; undefined when the profile has none. */
  password?: () => string;
  hostKeyPolicy: HostKeyPolicy;
}

/**
 * Why no session was opened: 'host-untrusted' (unknown key, not confirmed or confirmable), 'host-key-changed'
 * (differs from the stored one), 'auth-failed' (the host refused every credential), 'unreachable' (no connection).
 */
export type SshRefusal =
  | { code: 'host-untrusted'; fingerprint: string; policy: HostKeyPolicy }
  | { code: 'host-key-changed'; fingerprint: string; expected: string }
  | { code: 'auth-failed'; reason: string }
  | { code: 'unreachable'; reason: string };

export class SshConnectError extends Error {
  constructor(readonly refusal: SshRefusal) {
    super(refusalMessage(refusal));
  }
}

function refusalMessage(refusal: SshRefusal): string {
  switch (refusal.code) {
    case 'host-untrusted':
      return refusal.policy === 'ask'
        ? `the host's key ${refusal.fingerprint} is not trusted yet; confirm it (trustHostKey) to connect`
        : `the host's key ${refusal.fingerprint} is not in the server's known hosts, and this profile trusts only known keys`;
    case 'host-key-changed':
      return `the host's key changed: expected ${refusal.expected}, got ${refusal.fingerprint}; refused (it may be an attack; the operator must check and update the known hosts)`;
    case 'auth-failed':
      return `the host refused the sign-in: ${refusal.reason}`;
    case 'unreachable':
      return `cannot connect to the host: ${refusal.reason}`;
  }
}

/** Why a private key file cannot be used to sign in, or undefined when it can (checked at start, as other options are). */
export function identityFileProblem(path: string): string | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    return `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    return /encrypted/i.test(parsed.message) ? 'is protected by a passphrase, which a server cannot type' : 'is not a private key ssh2 can read';
  }
  return undefined;
}

export interface OpenOptions {
  knownHosts: KnownHosts;
  /** The fingerprint the room's creator confirmed (`trustHostKey`); stored when it is the host's, under policy 'ask'. */
  trustHostKey?: string;
  cols: number;
  rows: number;
  /** Told the host's key was stored (for the audit). */
  trusted?: (fingerprint: string) => void;
  timing?: SshTimingSettings;
}

export interface OpenedSsh {
  session: SshSession;
  fingerprint: string;
  /** The method the host accepted: 'publickey' or 'password'. */
  method: string;
}

/** Opens the shell, or rejects with an SshConnectError saying why not; nothing is left open when it rejects. */
export function openSsh(target: SshTarget, options: OpenOptions): Promise<OpenedSsh> {
  const timing = { ...SshTiming, ...options.timing };
  const client = new ssh2.Client();
  let refusal: SshRefusal | undefined;
  let fingerprint = '';
  const tried: string[] = [];
  return new Promise<OpenedSsh>((resolve, reject) => {
    const fail = (fallback: SshRefusal): void => {
      client.removeAllListeners('ready');
      client.destroy();
      reject(new SshConnectError(refusal ?? fallback));
    };
    client.once('error', (error: Error & { level?: string }) => {
      if (error.level === 'client-authentication') {
        return fail({ code: 'auth-failed', reason: `no method was accepted (tried ${tried.join(', ') || 'none'})` });
      }
      fail({ code: 'unreachable', reason: error.message });
    });
    client.once('close', () => fail({ code: 'unreachable', reason: 'the connection closed before the shell started' }));
    client.once('ready', () => {
      client.shell({ term: REMOTE_TERM, cols: options.cols, rows: options.rows, width: 0, height: 0 }, (error: Error | undefined, channel: ClientChannel) => {
        if (error) return fail({ code: 'unreachable', reason: `the host refused a shell: ${error.message}` });
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        const session = new SshSession(client, channel, { cols: options.cols, rows: options.rows });
        resolve({ session, fingerprint, method: tried.at(-1) ?? 'none' });
      });
    });
    const methods: ('publickey' | 'password')[] = [];
    let privateKey: Buffer | undefined;
    if (target.identityFile !== undefined) {
      try {
        privateKey = readFileSync(target.identityFile);
        methods.push('publickey');
      } catch (error) {
        // Checked at start; a key removed since is said so (its path is the operator's, no secret).
        return reject(new SshConnectError({ code: 'auth-failed', reason: `the identity file cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` }));
      }
    }
    if (target.password !== undefined) methods.push('password');
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: timing.ReadyTimeoutMs,
      keepaliveInterval: timing.KeepaliveIntervalMs,
      keepaliveCountMax: timing.KeepaliveCountMax,
      hostVerifier: (key: Buffer) => {
        fingerprint = fingerprintOf(key);
        const verdict = options.knownHosts.check(target.host, target.port, fingerprint);
        if (verdict.kind === 'trusted') return true;
        if (verdict.kind === 'changed') {
          refusal = { code: 'host-key-changed', fingerprint, expected: verdict.expected };
          return false;
        }
        if (target.hostKeyPolicy === 'ask' && options.trustHostKey === fingerprint) {
          options.knownHosts.add(target.host, target.port, fingerprint, `trusted ${new Date().toISOString()}`);
          options.trusted?.(fingerprint);
          return true;
        }
        refusal = { code: 'host-untrusted', fingerprint, policy: target.hostKeyPolicy };
        return false;
      },
      // One method at a time, in order, and only those the profile has: what was tried is reported, never what was sent.
      authHandler: (_remaining, _partial, next) => {
        const method = methods.shift();
        if (method === undefined) return next(false as never);
        tried.push(method);
        if (method === 'publickey') return next({ type: 'publickey', username: target.user, key: privateKey! } as never);
        let password: string;
        try {
          password = target.password!();
        } catch (error) {
          refusal = { code: 'auth-failed', reason: (error as Error).message };
          return next(false as never);
        }
        next({ type: 'password', username: target.user, password } as never);
      },
    });
  });
}
