// Entries for `ttyroom serve` and `ttyroom share`: parse config, end a killed server's leftovers, createApp(), listen, print, shut down.

import { accessSync, closeSync, constants as fsConstants, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../app.js';
import { helpText, parseConfig, parseShareArgs, type ServerConfig, type ShareArgs, type ShareClientOptions } from '../config.js';
import type { CreatedRoom } from '../shared/events.js';
import { createRoom, ServerRequestError } from '../termclient/serverRequest.js';
import { parseServerUrl, serverAccess } from '../termclient/serverAccess.js';
import { reportEnd } from './attachCommand.js';
import { fail } from './commandLine.js';
import { ConfigError } from '../util/configError.js';
import { roomLinks, type RoomLinks } from '../http/links.js';
import { isWildcardHost, linkOrigin } from '../http/originPolicy.js';
import { TerminalSize } from '../shared/limits.js';
import { attachHere } from '../termclient/attachHere.js';
import { AttachTiming, STATUS_ROWS } from '../termclient/attachSession.js';
import { DEFAULT_DETACH_KEY, DEFAULT_ESCAPE_CHAR, parseDetachKey } from '../termclient/detachKeys.js';
import { StderrCapture } from '../termclient/stderrCapture.js';
import { terminalQr } from '../termclient/terminalQr.js';
import { OneShotWatcher } from './oneShot.js';
import { ExitStatus, Shutdown } from './shutdown.js';
import type { Requester } from '../rooms/roomRegistry.js';
import { recoverLeftovers } from '../terminal/processJournal.js';
import { configureLogging, log, readableLine } from '../util/logger.js';

/** A line for the person who ran the command (usage errors, share's own messages): plain text, never the server log. */
function logLine(line: string): void {
  process.stderr.write(`ttyroom: ${line}\n`);
}

/** Runs `parse`, turning a ConfigError into one stderr line and exit status 2 (README.md, Usage). */
function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) {
      logLine(error.message);
      process.exit(ExitStatus.Usage);
    }
    throw error;
  }
}

export async function serve(argv: readonly string[]): Promise<void> {
  const parsed = parseOrExit(() => parseConfig(argv, process.env));
  if (parsed.help) {
    process.stdout.write(`${helpText('serve')}\n`);
    return;
  }
  if (parsed.rest.length > 0) {
    logLine(`serve takes no command after --; use --command, or: ttyroom share -- ${parsed.rest.join(' ')}`);
    process.exit(ExitStatus.Usage);
  }
  await runServer(parsed.config, () => undefined);
}

/** Whether `program` names an executable file: on PATH like execvp when it has no slash, else from `cwd`. */
function isExecutable(program: string, cwd: string, path: string | undefined): boolean {
  const candidates = program.includes('/') ? [resolve(cwd, program)] : (path ?? '').split(':').filter(Boolean).map((dir) => join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, fsConstants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** Who creates the shared room, for caps and the audit log: the operator at the command line. */
const SHARE_REQUESTER: Requester = { address: 'local', user: 'ttyroom share' };

export async function share(argv: readonly string[]): Promise<void> {
  const parsed = parseOrExit(() => parseShareArgs(argv, process.env));
  if (parsed.help) {
    process.stdout.write(`${helpText('share')}\n`);
    return;
  }
  if (parsed.client.server !== undefined) return shareOnServer(parsed.client.server, parsed);
  // A typo would otherwise print links to a room whose program already failed, and exit 0.
  const program = parsed.config.command[0]!;
  if (!isExecutable(program, parsed.config.cwd, process.env.PATH)) {
    logLine(`share: command not found or not executable: ${program}`);
    process.exit(ExitStatus.Usage);
  }
  // Without a terminal (a script, a service) there is nothing to attach: share serves and prints every link.
  const attach = process.stdin.isTTY === true && process.stdout.isTTY === true;
  /** This terminal shows the room now (until it detaches or the session ends). */
  let attached = false;
  await runServer(parsed.config, (app, base, shutdown) => {
    const request = { ...(parsed.name === undefined ? {} : { name: parsed.name }), ...(attach ? attachedGrid() : {}) };
    let created;
    try {
      created = app.rooms.create(request, SHARE_REQUESTER);
    } catch (error) {
      shutdown.begin(ExitStatus.Failure, `cannot start the shared room: ${String(error)}`);
      return;
    }
    const roomId = created.room.id;
    const port = new URL(base).port;
    // The links are for other machines; this terminal attaches over loopback when the server is on every interface.
    const shared = linkOrigin({ scheme: app.scheme, host: parsed.config.host, port: Number(port), configured: parsed.config.allowedOrigins, listening: base });
    const attachOrigin = parsed.config.allowedOrigins !== undefined ? shared : isWildcardHost(parsed.config.host) ? `${app.scheme}://127.0.0.1:${port}` : base;
    const links = roomLinks(shared, roomId, created.ownerToken, created.writeToken);
    if (!attach) {
      printShareLinks(links, parsed.client, { ownerLink: links.ownerUrl });
      return;
    }
    const ownerLinkFile = keepOwnerLink(parsed.config.dataDir, links.ownerUrl);
    printShareLinks(links, parsed.client, { ownerLinkFile });
    let capture: StderrCapture | undefined;
    attached = true;
    void attachHere({
      link: { origin: attachOrigin, roomId, token: created.ownerToken, writeToken: created.writeToken },
      access: {},
      keys: { detachByte: parseDetachKey(DEFAULT_DETACH_KEY)!, escapeChar: DEFAULT_ESCAPE_CHAR },
      reconnectTimeoutMs: AttachTiming.DefaultReconnectTimeoutMs,
    }, (session) => {
      // The status line shows a log record's message, not its JSON (stderr may be a file while this terminal is attached).
      capture = new StderrCapture((line) => session.notice(readableLine(line)));
    }).then((end) => {
      attached = false;
      capture?.dispose();
      // A signal closes the room here, so attach's own line (the room goes on) would be wrong.
      if (end.kind !== 'signal') logLine(end.message);
      switch (end.kind) {
        case 'exited':
          // The presenter saw the end: the server goes, with the command's status (as attach's).
          shutdown.begin(end.status, 'the room ended; exiting');
          return;
        case 'detached':
          // From now on the room's end ends the server (--once), unless it already has.
          if (created.room.exited !== undefined) {
            shutdown.begin(ExitStatus.Ok, "the room's process had ended; exiting");
            return;
          }
          logLine(`the room goes on until its program ends; come back with: ttyroom attach "$(cat ${ownerLinkFile})"; Ctrl-C here ends it`);
          return;
        case 'signal':
          // SIGINT and SIGTERM began the shutdown already (runServer's handler), saying so.
          shutdown.begin(ExitStatus.Ok, `${end.signal} received, closing the room`);
          return;
        case 'failed':
          shutdown.begin(ExitStatus.Failure, 'closing the room');
      }
    }, (error: unknown) => {
      capture?.dispose();
      shutdown.begin(ExitStatus.Failure, `cannot attach this terminal: ${error instanceof Error ? error.message : String(error)}`);
    });
  }, { ownersDoNotCount: attach, holdOnceEnd: () => attached });
}

/**
 * `share --server URL`: the room is made on a running server through its API (running one of its profiles),
 * then this terminal attaches to it as the owner. The room outlives this process unless its program ends.
 */
async function shareOnServer(server: string, parsed: ShareArgs): Promise<void> {
  const { client } = parsed;
  const { origin, access } = parseOrExit(() => ({
    origin: parseServerUrl(server),
    access: serverAccess({ ...(client.ca !== undefined ? { caFile: client.ca } : {}), ...(client.user !== undefined ? { user: client.user } : {}) }, process.env),
  }));
  const attach = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const body = {
    ...(parsed.name !== undefined ? { name: parsed.name } : {}),
    ...(client.profile !== undefined ? { profile: client.profile } : {}),
    ...(attach ? attachedGrid() : {}),
  };
  let created: CreatedRoom;
  try {
    created = await createRoom(origin, access, body);
  } catch (error) {
    if (error instanceof ServerRequestError) fail(ExitStatus.Failure, `share: ${error.message}`);
    throw error;
  }
  if (!attach) {
    printShareLinks(created, client, { ownerLink: created.ownerUrl });
    return;
  }
  const ownerLinkFile = keepOwnerLink(parsed.config.dataDir, created.ownerUrl);
  printShareLinks(created, client, { ownerLinkFile });
  const end = await attachHere({
    link: { origin, roomId: created.id, token: created.ownerToken, writeToken: created.writeToken },
    access,
    keys: { detachByte: parseDetachKey(DEFAULT_DETACH_KEY)!, escapeChar: DEFAULT_ESCAPE_CHAR },
    reconnectTimeoutMs: AttachTiming.DefaultReconnectTimeoutMs,
  });
  const status = reportEnd(end);
  if (end.kind === 'detached') logLine(`come back with: ttyroom attach "$(cat ${ownerLinkFile})"`);
  process.exit(status);
}

/** Writes the owner link where only this user reads it, and returns the file's path. */
function keepOwnerLink(dataDir: string, ownerUrl: string): string {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const file = join(dataDir, SHARE_OWNER_LINK_FILE);
  // An existing file keeps its mode on open: tighten it before the new token is written into it.
  const fd = openSync(file, 'w', OWNER_LINK_FILE_MODE);
  try {
    fchmodSync(fd, OWNER_LINK_FILE_MODE);
    writeFileSync(fd, `${ownerUrl}\n`);
  } finally {
    closeSync(fd);
  }
  return file;
}

/** A data folder share makes for the owner link (the server makes its own the same way). */
const DATA_DIR_MODE = 0o700;

/** Where share keeps the owner link of the room it attached to: the presenter's screen may be on a projector. */
const SHARE_OWNER_LINK_FILE = 'share-owner-link';
/** The owner link is a credential: readable by the operator alone. */
const OWNER_LINK_FILE_MODE = 0o600;

/** The room's grid for this terminal: the window less the status line, within the limits a room takes. */
function attachedGrid(): { cols: number; rows: number } {
  const cols = process.stdout.columns || TerminalSize.DefaultCols;
  const rows = (process.stdout.rows || TerminalSize.DefaultRows + STATUS_ROWS) - STATUS_ROWS;
  return {
    cols: Math.min(TerminalSize.MaxCols, Math.max(TerminalSize.MinCols, cols)),
    rows: Math.min(TerminalSize.MaxRows, Math.max(TerminalSize.MinRows, rows)),
  };
}

/**
 * The lines scripts and people read (docs/terminal-client.md): `viewer link: URL`, `writer link: URL` unless
 * --readonly, then the owner link or where it is, and a QR code of the viewer link on a terminal unless --no-qr.
 */
function printShareLinks(links: RoomLinks, client: ShareClientOptions, owner: { ownerLink: string } | { ownerLinkFile: string }): void {
  let text = `viewer link: ${links.viewUrl}\n`;
  if (!client.readonly) text += `writer link: ${links.writeUrl}\n`;
  text += 'ownerLink' in owner ? `owner link:  ${owner.ownerLink}\n` : `owner link:  in ${owner.ownerLinkFile} (readable by you alone)\n`;
  if (client.qr && process.stdout.isTTY) text += `${terminalQr(links.viewUrl).join('\n')}\n`;
  process.stdout.write(text);
}

/**
 * Ends what a killed server left behind, starts the app, prints `ttyroom listening on URL` as the first
 * stdout line, calls `ready`, and shuts down gracefully on SIGTERM/SIGINT, at the end of a --once room,
 * or when --timeout runs out.
 */
interface RunServerOptions {
  /** --timeout counts no owner's join (share's presenter attached as the owner is nobody else). */
  ownersDoNotCount?: boolean;
  /**
   * While this says true, the end of the --once room does not end the server: share's attached terminal
   * must first get the room's last screen and exit, even when the command ended before it joined.
   */
  holdOnceEnd?: () => boolean;
}

async function runServer(config: ServerConfig, ready: (app: App, base: string, shutdown: Shutdown) => void, options: RunServerOptions = {}): Promise<void> {
  // From here on the server's own events go to the log (server/util/logger.ts), the person's lines stay plain.
  configureLogging({ ...(config.logLevel !== undefined ? { level: config.logLevel } : {}) });
  await recoverLeftovers(config.dataDir, (line) => log.warn({}, line));
  const app = parseOrExit(() => createApp(config));
  const shutdown = new Shutdown(app, {
    deadlineMs: config.shutdownDeadlineMs,
    killGraceMs: config.killGraceMs,
    exit: (status) => process.exit(status),
    log: (line, severity) => (severity === 'error' ? log.error({}, line) : log.info({}, line)),
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (!shutdown.begin(ExitStatus.Ok, `${signal} received, closing rooms`)) log.info({ signal }, `${signal} received again; already shutting down`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  app.httpServer.on('error', (error: NodeJS.ErrnoException) => {
    log.fatal({ host: config.host, port: config.port, code: error.code }, `cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`);
    // Nothing was created yet, but a room could be: end it all before leaving.
    app.rooms.dispose();
    process.exit(ExitStatus.Failure);
  });
  app.httpServer.listen(config.port, config.host, () => {
    if (shutdown.isStarted) return;
    const base = app.origin();
    // Scripts read the address from this first line (README.md, Usage).
    process.stdout.write(`ttyroom listening on ${base}\n`);

    const watcher = new OneShotWatcher(app.rooms, { once: config.once, joinTimeoutMs: config.joinTimeoutMs, ownersDoNotCount: options.ownersDoNotCount === true });
    watcher.onRoomEnded(() => {
      if (options.holdOnceEnd?.() === true) return;
      shutdown.begin(ExitStatus.Ok, "the room's process ended and its members were told (--once); exiting");
    });
    watcher.onJoinTimeout(() => shutdown.begin(ExitStatus.NobodyJoined, `nobody joined within ${config.joinTimeoutMs / 1000} s (--timeout); exiting`));
    ready(app, base, shutdown);
  });
}
