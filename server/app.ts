// createApp(config): wires HTTP, socket.io and the room registry together; never listens (tests pick the port).

import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import express from 'express';
import { Auditor, bothLogs, type AuditLog } from './audit/auditLog.js';
import { ConfigDefaults, type ServerConfig } from './config.js';
import { SqliteStore } from './store/sqliteStore.js';
import type { Store } from './store/store.js';
import { Retention, RetentionTiming } from './store/retention.js';
import { RoomLedger } from './rooms/roomLedger.js';
import { apiRouter } from './http/routes.js';
import { clientRouter } from './http/staticClient.js';
import { errorHandler, notFoundHandler, sendError } from './net/errors.js';
import { securityHeaders } from './http/securityHeaders.js';
import { ClientAddress } from './net/clientAddress.js';
import { ConnectionLimiter, type ConnectionLimitSettings } from './http/connectionLimiter.js';
import { OriginPolicy, servedOrigins } from './http/originPolicy.js';
import { RequestGuard } from './http/requestGuard.js';
import { loadTls } from './http/tls.js';
import { createWebServer, type WebServerSettings } from './http/webServer.js';
import type { RateLimits } from './realtime/eventRateLimiter.js';
import { engineSessionId } from './net/engineSession.js';
import { SocketServer, type KeepaliveTiming } from './realtime/socketServer.js';
import { RoomRegistry } from './rooms/roomRegistry.js';
import { DEFAULT_RECORDING_SETTINGS, Recordings } from './recording/recordings.js';
import { StoreRecordingIndex } from './recording/recordingIndex.js';
import { DEFAULT_PROFILE, type ProfileDefinition } from './rooms/profiles.js';
import { childEnvironment } from './terminal/ptySession.js';
import { MirrorHost } from './terminal/mirrorHost.js';
import { systemClock, type Clock } from './util/clock.js';
import { ProcessJournal } from './terminal/processJournal.js';
import { SignIn } from './auth/passportSetup.js';
import { attachHandshakeAuth } from './auth/handshakeAuth.js';
import { loginRouter } from './http/loginRoutes.js';
import { TokenFailureLimiter, type Limits as TokenFailureLimits } from './auth/tokenFailures.js';
import { HistoryTickets } from './auth/historyTickets.js';
import { log } from './util/logger.js';
import { RoomObserver } from './observe/roomObserver.js';
import { metricsEnabled, metricsHandler } from './observe/metricsRoute.js';
import { Readiness } from './observe/readiness.js';
import { KnownHosts } from './remote/knownHosts.js';
import { CredentialError, CredentialStore, loadServerKey } from './remote/credentials.js';
import type { SshTimingSettings } from './remote/sshConnect.js';
import { ConfigError } from './util/configError.js';
import type { SshSettings } from './rooms/roomRegistry.js';
import { Cluster } from './cluster/cluster.js';
import { RedisLink } from './cluster/redisLink.js';
import { Forwarding } from './cluster/forwarding.js';
import { NodeForwards } from './net/nodeForwards.js';

export { DEFAULT_PROFILE };

/** What tests (and embedders) can swap in; every field has the production default. */
export interface AppOptions {
  clientDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Time for timeouts, rate limits and audit records (default: the system clock). */
  clock?: Clock;
  /** Also receives every audit event, besides the store (tests read what was audited). */
  audit?: AuditLog;
  /** Ping timing (default: Keepalive in realtime/socketServer.ts). */
  keepalive?: KeepaliveTiming;
  /** Per-connection event budget (default: EventRateLimits in realtime/eventRateLimiter.ts). */
  rateLimits?: RateLimits;
  /** Connection attempts per address (default: ConnectionLimits in http/connectionLimiter.ts). */
  connectionLimits?: ConnectionLimitSettings;
  /** Header limits and slow-request timeouts (default: WebServerLimits in http/webServer.ts). */
  webServerLimits?: WebServerSettings;
  /** Token-failure backoff (default: TokenFailureLimits in auth/tokenFailures.ts). */
  tokenFailureLimits?: Partial<TokenFailureLimits>;
  /** SSH keepalive and connect timing (default: SshTiming in remote/sshConnect.ts). */
  sshTiming?: SshTimingSettings;
}

/**
 * The SSH rooms' trust store and sealed passwords: passwords given at this start are sealed (replacing older ones);
 * a profile with a password source and nothing sealed for it stops the server with a ConfigError.
 */
function sshSettings(config: ServerConfig, timing: SshTimingSettings | undefined): SshSettings {
  const knownHosts = new KnownHosts(config.dataDir);
  const withPassword = (config.profiles ?? []).flatMap((profile) => (profile.type === 'ssh' && profile.password ? [profile] : []));
  if (withPassword.length === 0) return { knownHosts, ...(timing ? { timing } : {}) };
  let credentials: CredentialStore;
  try {
    credentials = new CredentialStore(config.dataDir, loadServerKey(config.dataDir, config.secretKey));
    for (const profile of withPassword) {
      const given = config.sshPasswords?.get(profile.name);
      if (given !== undefined) {
        credentials.put(profile.name, given);
      } else if (!credentials.has(profile.name)) {
        const source = profile.password!;
        throw new CredentialError(`profile "${profile.name}": password: ${'env' in source ? `variable ${source.env} is not set` : `${source.file} does not exist`} and no password is stored for it yet`);
      } else {
        // Opened once now, so a wrong server key stops the start instead of the first room.
        credentials.open(profile.name);
      }
    }
  } catch (error) {
    if (error instanceof CredentialError) throw new ConfigError(`--profiles: ${error.message}`);
    throw error;
  }
  return { knownHosts, credentials, ...(timing ? { timing } : {}) };
}

export interface App {
  /** An https.Server under TLS (typed as http.Server: the app uses only what both have). */
  httpServer: HttpServer;
  /** `https` with --tls-cert, else `http`. */
  scheme: 'http' | 'https';
  /** `scheme://host:port` the server answers at, once listening (the start line, links, the OIDC redirect). */
  origin(): string;
  io: SocketServer['io'];
  rooms: RoomRegistry;
  /** Every room's recording (files under <dataDir>/recordings). */
  recordings: Recordings;
  /** The worker threads that hold the rooms' mirrors. */
  mirrors: MirrorHost;
  /** The record in <dataDir>/ttyroom.db: rooms, member sessions, audit events, recordings' index. */
  store: Store;
  /**
   * Stops taking newcomers at once: the listener is closed, idle keep-alive connections are dropped,
   * new socket.io handshakes and new rooms are refused. Rooms and their members carry on.
   */
  stopAccepting(): void;
  /**
   * Stops accepting, closes every room (members get `term:exit` with reason `server-shutdown`; `graceMs`,
   * default the configured kill grace, between SIGHUP and SIGKILL), waits until their processes are
   * gone, then disconnects clients and stops the HTTP server.
   */
  dispose(options?: { graceMs?: number }): Promise<void>;
}

/** The origin this server answers at, once listening (the OIDC redirect URL is derived from it). */
function publicOrigin(httpServer: HttpServer, config: ServerConfig, scheme: 'http' | 'https'): string {
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `${scheme}://${host}:${port}`;
}

/** Throws ConfigError for TLS files that cannot be used, before anything is created. */
export function createApp(config: ServerConfig, options: AppOptions = {}): App {
  const tls = config.tls ? loadTls(config.tls) : undefined;
  const scheme = tls ? 'https' : 'http';
  mkdirSync(config.dataDir, { recursive: true });
  // Before anything is opened: a password that cannot be sealed or opened stops the start (a ConfigError, status 2).
  const ssh = sshSettings(config, options.sshTiming);
  const clock = options.clock ?? systemClock;
  // First, so a database this version cannot use stops the server before anything started (StoreSchemaError).
  const store = SqliteStore.open(config.dataDir);
  // Rooms the record still holds as open were left by a server that died: none of them runs now.
  store.closeLeftoverRooms(clock.now());
  const recordingSettings = config.recording ?? DEFAULT_RECORDING_SETTINGS;
  const recordings = new Recordings(config.dataDir, recordingSettings, clock, new StoreRecordingIndex(store, clock));
  // Before the first sweep (at Retention's start): the files of the recordings it removes go with them.
  store.onRecordingsPruned((pruned) => recordings.deleteFiles(pruned.map((recording) => recording.path)));
  const retentionDays = config.retentionDays ?? ConfigDefaults.RetentionDays;
  const retention = new Retention(store, clock, retentionDays);
  const auditor = new Auditor(options.audit ? bothLogs(store.audit, options.audit) : store.audit, clock);
  // Scale-out: recognises requests other nodes forward here; trusts nobody until the cluster read its key.
  const nodeForwards = new NodeForwards();
  const clientAddress = new ClientAddress(config.trustProxy, nodeForwards);
  const web = express();
  web.disable('x-powered-by');
  // req.protocol (the links in API answers) believes X-Forwarded-Proto only from trusted proxies.
  web.set('trust proxy', clientAddress.trusts);
  const httpServer = createWebServer(web, tls, options.webServerLimits);
  const sockets = new SocketServer(httpServer, { keepalive: options.keepalive });
  // The default origins need the port, known once listening (port 0).
  const origins = new OriginPolicy({
    configured: config.allowedOrigins,
    served: () => servedOrigins(scheme, config.host, (httpServer.address() as AddressInfo | null)?.port ?? config.port),
  });
  httpServer.on('listening', () => origins.reset());
  // After socket.io attached: the guard takes over its listeners and sees every request first.
  const guard = new RequestGuard(httpServer, {
    origins,
    clientAddress,
    connections: new ConnectionLimiter(clock, options.connectionLimits),
    headers: securityHeaders({ tls: tls !== undefined }),
    auditor,
    clock,
    enginePath: `${sockets.io.path()}/`,
    limits: options.webServerLimits,
    closeSession: (sid) => sockets.closeSession(sid),
    nodes: nodeForwards,
  });
  // Scale-out (--redis): the node's Redis connection, before sign-in, whose sessions live there too; disposed last of all that use it.
  const redis = config.redis ? new RedisLink(config.redis.url) : undefined;
  const signIn = new SignIn(config.auth, {
    dataDir: config.dataDir,
    auditor,
    clock,
    secureCookies: tls !== undefined,
    clientAddress,
    publicOrigin: () => publicOrigin(httpServer, config, scheme),
    ...(redis ? { redis } : {}),
  });
  web.use(signIn.httpIdentify());
  attachHandshakeAuth(sockets.io, signIn);
  const tokenFailures = new TokenFailureLimiter(clock, auditor, options.tokenFailureLimits);

  const mirrors = new MirrorHost(config.mirrorWorkers);
  // Only with /metrics configured: otherwise nothing watches the rooms, and the stream's path has no extra step.
  let observer: RoomObserver | undefined;
  const [file, ...args] = config.command;
  const profiles = new Map<string, ProfileDefinition>([[DEFAULT_PROFILE, { type: 'command', name: DEFAULT_PROFILE, file: file!, args }]]);
  for (const profile of config.profiles ?? []) profiles.set(profile.name, profile);
  const rooms = new RoomRegistry({
    profiles,
    defaultProfile: DEFAULT_PROFILE,
    scrollback: config.scrollback,
    resumeBufferUnits: config.resumeBufferUnits,
    killGraceMs: config.killGraceMs,
    exitedRoomTtlMs: config.exitedRoomTtlMs,
    cwd: config.cwd,
    env: childEnvironment(options.env ?? process.env),
    oneRoomOnly: config.once,
    createTransport: (roomId) => observer?.transport(roomId, sockets.transportFor(roomId)) ?? sockets.transportFor(roomId),
    clock,
    auditor,
    maxRooms: config.maxRooms,
    maxRoomsPerUser: config.maxRoomsPerUser,
    idleTimeoutMs: config.idleTimeoutMs,
    lifetimeMs: config.lifetimeMs,
    mirrors,
    recordable: recordingSettings.enabled,
    transferMaxBytes: config.transferMaxBytes,
    ssh,
  });
  // Scale-out (--redis): before the connections are attached, which reach other nodes' rooms through it.
  const cluster = config.redis && redis
    ? new Cluster({ ...config.redis, nodeUrl: () => config.redis?.nodeUrl ?? publicOrigin(httpServer, config, scheme), recordKeptMs: retentionDays * RetentionTiming.DayMs }, rooms, sockets, nodeForwards, redis, clock)
    : undefined;
  // The heartbeat names this node's URL, whose port is known once listening: the others learn it now, not a renewal later.
  if (cluster) httpServer.on('listening', () => void cluster.directory.renew());
  // Requests for another node's room (or record) go there; this node's own pass straight to the API.
  const forwarding = cluster
    ? new Forwarding({ knowsRoom: (id) => rooms.get(id) !== undefined || store.room(id) !== undefined, homeOf: (id) => cluster.directory.homeOf(id), nodes: nodeForwards, clientAddress })
    : undefined;
  if (metricsEnabled(config.metrics)) observer = new RoomObserver({ rooms, mirrors, clock, ...(cluster ? { cluster: { redisUp: () => cluster.link.up, relayed: () => cluster.relayed(), forwarded: () => forwarding?.counts() ?? { answered: 0, unavailable: 0 } } } : {}) });
  const ledger = new RoomLedger(rooms, store, clock);
  rooms.onRoomCreated((room) => recordings.track(room));
  const historyTickets = new HistoryTickets(clock);
  // A room has a history to rewind through once its recording started (not with recording off for it).
  const rewind = { tickets: historyTickets, hasHistory: (roomId: string) => store.recordings(roomId).length > 0 };
  sockets.attach(rooms, { clock, auditor, maxMembersPerRoom: config.maxMembers, rateLimits: options.rateLimits, clientAddress, tokenFailures, sessions: store, rewind, ...(observer ? { observer } : {}), ...(cluster ? { remote: cluster.remote } : {}) });

  // Each room's shell is on record until its session was swept, so that if this server is killed
  // the next start ends what it left behind (recoverLeftovers, run before createApp).
  const journal = new ProcessJournal(config.dataDir);
  rooms.onRoomCreated((room) => {
    const identity = room.processIdentity;
    if (!identity) return;
    try {
      journal.record(room.id, identity);
    } catch (error) {
      // The room works without its record; only crash recovery would miss it, so say so and go on.
      log.error({ room: room.id }, `room ${room.id}: cannot record its process for crash recovery: ${String(error)}`);
      return;
    }
    room.onProcessesEnded(() => journal.remove(room.id));
  });

  let accepting = true;
  // Per request, at debug: the path without its query (a ticket or a token may be there), never a header.
  web.use((req, res, next) => {
    if (!log.isLevelEnabled('debug')) return next();
    const started = performance.now();
    // Read now: a router the request passes through rewrites req.path to its own mount point.
    const { method, path } = req;
    res.once('finish', () => {
      const ms = Math.round(performance.now() - started);
      log.debug({ method, path, status: res.statusCode, ms, address: clientAddress.of(req) }, `${method} ${path} ${res.statusCode} ${ms} ms`);
    });
    next();
  });
  web.get('/healthz', (_req, res) => {
    if (accepting) res.json({ ok: true });
    else sendError(res, 'conflict', 'shutting down');
  });
  const readiness = new Readiness();
  readiness.add(() => (accepting ? undefined : 'draining'));
  if (cluster) readiness.addDegraded(() => (cluster.link.up ? undefined : 'redis-down'));
  web.get('/readyz', (_req, res) => {
    const state = readiness.state();
    res.status(state.ready ? 200 : 503).json(state);
  });
  web.get('/metrics', metricsHandler(observer?.metrics, config.metrics, clientAddress));
  web.use(loginRouter(signIn));
  // A request another node forwarded names that node's scheme: its answer's links must too.
  web.use((req, _res, next) => {
    const forwarded = nodeForwards.verify(req);
    if (forwarded) Object.defineProperty(req, 'protocol', { value: forwarded.proto });
    next();
  });
  if (forwarding) web.use('/api/rooms/:id', forwarding.middleware);
  web.use('/api', signIn.apiGate, apiRouter(rooms, { auditor, tokenFailures, clientAddress, permitArguments: config.permitArguments === true, store, recordings, historyTickets, clock, ...(cluster ? { remoteRooms: () => cluster.remoteRooms() } : {}) }));
  web.get('/', signIn.pageGate);
  web.use(clientRouter(options.clientDir));
  web.use(notFoundHandler);
  web.use(errorHandler);

  // Members already connected keep their engine.io session (requests carry its id) to hear the end.
  sockets.io.engine.use((req: { url?: string }, _res: unknown, next: (error?: Error) => void) => {
    if (accepting || engineSessionId(req.url) !== null) next();
    else next(new Error('the server is shutting down'));
  });

  let listenerClosed: Promise<void> | undefined;
  const stopAccepting = (): void => {
    if (listenerClosed) return;
    accepting = false;
    // Resolves once every connection is gone too; an error only means it was not listening.
    listenerClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
  };

  let disposing: Promise<void> | undefined;
  const dispose = (disposeOptions: { graceMs?: number } = {}): Promise<void> => {
    disposing ??= (async () => {
      stopAccepting();
      await rooms.closeAll('server-shutdown', disposeOptions.graceMs);
      rooms.dispose();
      // After the rooms: their exits are the recordings' last events.
      recordings.dispose();
      // After the rooms: their mirrors live in these workers.
      mirrors.dispose();
      sockets.dispose();
      // After the rooms and the sockets: the directory forgets this node's rooms as it goes.
      cluster?.dispose();
      forwarding?.dispose();
      httpServer.closeAllConnections();
      await listenerClosed;
      signIn.dispose();
      // After the cluster and sign-in, the two that use it.
      redis?.dispose();
      guard.dispose();
      tokenFailures.dispose();
      ledger.dispose();
      retention.dispose();
      observer?.dispose();
      // Last: closing rooms and connections above still writes audit records.
      store.dispose();
    })();
    return disposing;
  };

  const origin = (): string => publicOrigin(httpServer, config, scheme);
  return { httpServer, scheme, origin, io: sockets.io, rooms, recordings, mirrors, store, stopAccepting, dispose };
}
