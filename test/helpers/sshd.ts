// A real OpenSSH server for tests: generated host and user keys in a temp folder, loopback only, a free port, started and stopped by pid.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';
import { freePort } from './freePort.js';

export const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
/** Where Debian's sshd insists on chrooting its unprivileged child; the package's service makes it, a test run may not have. */
const PRIVSEP_DIR = '/run/sshd';

/** Why SSH tests cannot run here, or undefined when they can (for `test(..., { skip })`). */
export function sshdMissing(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian's openssh-server; .ci/run installs it)`;
  if (!existsSync(SSH_KEYGEN)) return `${SSH_KEYGEN} is not installed (Debian's openssh-client)`;
  if (process.getuid?.() !== 0 && !existsSync(PRIVSEP_DIR)) return `${PRIVSEP_DIR} is missing and only root can create it`;
  return undefined;
}

export interface TestSshd {
  port: number;
  /** The user sshd lets in: the one running the tests. */
  user: string;
  /** The user's private key (OpenSSH format, no passphrase) and the folder everything lives in. */
  identityFile: string;
  dir: string;
  /** `SHA256:…` of the current host key, as `ssh-keygen -lf` prints it. */
  fingerprint(): string;
  /** The sshd's own pid (its connection children are separate processes: see killAll). */
  readonly pid: number;
  /** Stops sshd and starts it again on the same port, with a newly generated host key. */
  restartWithNewHostKey(): Promise<void>;
  /** SIGKILL to sshd and every process it started (the session of a connected client included). */
  killAll(): void;
  /** SIGSTOP to the same: a host that stops answering without closing anything. */
  freezeAll(): void;
  stop(): Promise<void>;
  /** What sshd wrote to stderr (-e), for failure messages. */
  log(): string;
}

function keygen(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'ttyroom-test', '-f', file], { stdio: 'ignore' });
}

/** `SHA256:…` of a public key file, from ssh-keygen itself (the reference the server's own fingerprints are checked against). */
export function keygenFingerprint(publicKeyFile: string): string {
  const line = execFileSync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', publicKeyFile], { encoding: 'utf8' });
  const match = /\b(SHA256:[A-Za-z0-9+/]+)\b/.exec(line);
  if (!match) throw new Error(`ssh-keygen printed no fingerprint: ${line}`);
  return match[1]!;
}

/** Pids of every descendant of `root` (children, their children, ...), read from /proc. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Starts `sshd -D -e -f CONFIG` on 127.0.0.1 and a free port. It lets in the user running the tests with the generated key
 * (root too: PermitRootLogin) or a password (none that a test knows: only a wrong one is ever tried).
 */
export async function startSshd(): Promise<TestSshd> {
  const missing = sshdMissing();
  if (missing) throw new Error(missing);
  if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const identityFile = join(dir, 'user_ed25519');
  keygen(hostKey);
  keygen(identityFile);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${identityFile}.pub`));
  // The sessions' HOME: the user's own dotfiles (a slow or hanging .bashrc, a stale lock of a tool it runs) stay out of the tests.
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.profile'), "PS1='remote$ '\n");
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // The temp folder is world-writable /tmp's child: strict modes would refuse the key file in it.
    'StrictModes no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'LogLevel VERBOSE',
    `SetEnv HOME=${home}`,
    '',
  ].join('\n'));

  let child: ChildProcess;
  let stderr = '';
  const launch = async (): Promise<void> => {
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    await waitFor(() => exited || /Server listening on 127\.0\.0\.1 port/.test(stderr), 'sshd to listen', 15_000);
    if (exited) throw new Error(`sshd did not start: ${stderr}`);
  };
  const stopChild = async (): Promise<void> => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    signal(descendants(current.pid!), 'SIGKILL');
    current.kill('SIGKILL');
    await gone;
  };
  await launch();
  return {
    port,
    user: userInfo().username,
    identityFile,
    dir,
    fingerprint: () => keygenFingerprint(`${hostKey}.pub`),
    get pid() {
      return child.pid!;
    },
    async restartWithNewHostKey() {
      await stopChild();
      stderr = '';
      keygen(hostKey);
      await launch();
    },
    killAll() {
      signal(descendants(child.pid!), 'SIGKILL');
      child.kill('SIGKILL');
    },
    freezeAll() {
      signal([child.pid!, ...descendants(child.pid!)], 'SIGSTOP');
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => stderr,
  };
}
