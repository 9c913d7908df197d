// Tmux: a real terminal for tests of the terminal client — a tmux server of the test's own (private socket,
// no config file) with one window running a command; keys are sent and the pane read back as the user sees it.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether tmux is installed: the tests that need it are skipped, saying so, on a machine without it. */
export const TMUX_MISSING = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0 ? undefined : 'tmux is not installed (.ci/run installs it)';

/** How long the pane's shell waits after the command, in seconds: longer than any test; closing tmux ends it. */
const HOLD_SECONDS = 3600;
/** The longest a tmux command may take, in ms: they answer at once, but a loaded machine is slow. */
const TMUX_COMMAND_TIMEOUT_MS = 30_000;

export class Tmux {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ttyroom-tmux-'));
  private readonly socket = join(this.dir, 'socket');

  private readonly statusFile = join(this.dir, 'status');

  /**
   * Starts a detached session of `cols` × `rows` running `command` (a shell command line) with `env` added.
   * The command's exit status is written to a file and the pane's shell then waits, so the last screen and
   * the terminal's modes can be read after it ended (tmux's own pane_dead_status is sometimes never set).
   */
  constructor(cols: number, rows: number, command: string, env: Record<string, string> = {}) {
    const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}; `).join('');
    const script = `${exports}${command}; echo $? > ${shellQuote(this.statusFile)}; exec sleep ${HOLD_SECONDS}`;
    this.run(['-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', String(cols), '-y', String(rows), script]);
    // The window takes the size asked for, not the size of a client (there is none).
    this.run(['set-option', '-g', 'window-size', 'manual']);
  }

  /** Runs tmux on this test's own server. */
  run(args: readonly string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', timeout: TMUX_COMMAND_TIMEOUT_MS });
  }

  /** Types keys: tmux key names (`C-c`, `Enter`) or, with `literal`, the text as it is. */
  sendKeys(keys: readonly string[], literal = false): void {
    this.run(['send-keys', '-t', 'test', ...(literal ? ['-l'] : []), ...keys]);
  }

  /** The pane as plain text, one string a row (trailing blanks trimmed by tmux). */
  lines(): string[] {
    return this.run(['capture-pane', '-p', '-t', 'test']).replace(/\n$/, '').split('\n');
  }

  /** The pane with its colours and attributes as escape sequences (capture-pane -e), rows joined by CR LF. */
  ansi(): string {
    return this.run(['capture-pane', '-p', '-e', '-N', '-t', 'test']).replace(/\n$/, '').split('\n').join('\r\n');
  }

  /** The normal screen saved while a program shows the alternate screen (what was printed before it), wrapped lines joined. */
  savedScreen(): string {
    return this.run(['capture-pane', '-p', '-J', '-a', '-q', '-t', 'test']);
  }

  /** A tmux format about the pane, such as `#{alternate_on}` or `#{pane_dead_status}`. */
  format(format: string): string {
    return this.run(['display-message', '-p', '-t', 'test', format]).trim();
  }

  /** The command's exit status once it has ended (a shell's: 128 + N after signal N), else undefined. */
  exitStatus(): number | undefined {
    if (!existsSync(this.statusFile)) return undefined;
    const text = readFileSync(this.statusFile, 'utf8');
    return text.endsWith('\n') ? Number(text) : undefined;
  }

  resize(cols: number, rows: number): void {
    this.run(['resize-window', '-t', 'test', '-x', String(cols), '-y', String(rows)]);
  }

  /**
   * The pid of the process in the pane whose command line contains `marker`, preferring one that `program` runs
   * (the shell that started it has the marker in its command line too, and pids wrap, so the newest is not it).
   */
  pidOf(marker: string, program: string = process.execPath): number | undefined {
    let found: number | undefined;
    let foundRunsProgram = false;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes(marker) || cmdline.includes('tmux')) continue;
      const runsProgram = cmdline.split('\0')[0] === program;
      if (found === undefined || (runsProgram && !foundRunsProgram) || (runsProgram === foundRunsProgram && Number(entry) > found)) {
        found = Number(entry);
        foundRunsProgram = runsProgram;
      }
    }
    return found;
  }

  /** Ends this test's tmux server (the processes in its panes get SIGHUP) and removes its folder. */
  close(): void {
    try {
      this.run(['kill-server']);
    } catch {
      // Already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
