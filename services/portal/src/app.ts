import { existsSync } from "node:fs";
import { type Server as HttpServer, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Bus, ConsumerLoop, HealthTarget } from "@persona/bus";
import { EnrollmentWatcher } from "@persona/library";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { AlertsRepository, type DocumentStore, ValidatedCollection } from "@persona/store";
import express from "express";
import { Server as SocketServer } from "socket.io";
import { startAlertConsumer } from "./alerts/consumer.ts";
import { startAlertsProjection } from "./alerts/projection.ts";
import type { AlertRules } from "./alerts/rules.ts";
import { RulesStore } from "./alerts/rulesStore.ts";
import { CameraConfigStore } from "./cameraConfig.ts";
import { ThresholdStore } from "./thresholdStore.ts";
import { ApiKeyStore } from "./auth/apiKeys.ts";
import { DEFAULT_LIMITS, type LimiterOptions, LoginLimiter } from "./auth/loginLimiter.ts";
import { SESSION_COOKIE, type Session, SessionStore, cookieValue } from "./auth/sessions.ts";
import { Users } from "./auth/users.ts";
import { CameraDirectory } from "./cameras.ts";
import { type PortalContext, ResolvedUnknownDoc } from "./context.ts";
import type { Api } from "./http/api.ts";
import { ApiError, errorHandler, sendError } from "./http/errors.ts";
import { LIVE_ROOM, LivePush } from "./live/push.ts";
import { LiveSources } from "./liveProxy.ts";
import { MediaStore } from "./media.ts";
import { type ReadModels, openReadModels } from "./projections/readModels.ts";
import { type RunningProjections, startProjections } from "./projections/runner.ts";
import { HOST_TIME_ZONE } from "./projections/attendance.ts";
import { apiRouter } from "./routes/index.ts";
import { PhotoSearch, type SearchSettings } from "./search/photoSearch.ts";
import { SessionsConsumer } from "./sessions/consumer.ts";
import { SessionsWriter } from "@persona/sessions/writer";

export interface PortalOptions {
  bus: Bus;
  store: DocumentStore;
  log: Logger;
  /** HTTP port; 0 = a free one. Default 8080. */
  port?: number;
  host?: string;
  /** The first admin, created only when no user exists. */
  admin?: { username: string; password: string };
  /** The built web app (static + SPA fallback); default <repo>/web/dist when it exists; null = none. */
  webDist?: string | null;
  /** Attendance days' time zone. Default the host's. */
  timeZone?: string;
  /** Run the shared projections, the alerts projection and the alert consumer in this process. Default true. */
  projections?: boolean;
  /** Camera id -> live view URL (MJPEG), proxied by GET /cameras/:cameraId/live; overrides `cameraLiveUrl`. */
  liveUrls?: Record<string, string>;
  /** The camera service's live view root (http://host:LIVE_PORT): camera X's view is <root>/cameras/X/live.mjpeg. */
  cameraLiveUrl?: string | null;
  /** Session lifetime. Default 12 h. */
  sessionTtlMs?: number;
  /** Mark cookies Secure (behind HTTPS). Default false. */
  secureCookies?: boolean;
  /** How long an enrollment waits for the recognizer. Default 60 s. */
  enrollTimeoutMs?: number;
  loginLimits?: LimiterOptions;
  /** Express "trust proxy" (e.g. 1 = one proxy hop, or a subnet list); default false. */
  trustProxy?: boolean | number | string;
  /** How often connected sockets' sessions are checked again. Default 30 s. */
  socketRecheckMs?: number;
  /**
   * Alert rules: cosine similarity at which an unknown face is an ignored visitor's (no unknown-face alert). Default:
   * the embedding model's open-set naming threshold (ALERTS_IGNORED_VISITOR_MIN_SIMILARITY).
   */
  ignoredVisitorMinSimilarity?: number | null;
  /** Search by photo (POST /identify): model, mode and thresholds; default the recognizers' defaults. */
  search?: SearchSettings;
  /**
   * The services' health endpoints (one per replica) GET /system reads /readyz and /metrics from
   * (PORTAL_SERVICE_HEALTH_URLS, default every service on 127.0.0.1 at its health port). Default none.
   */
  serviceHealth?: HealthTarget[];
  /** The sessions' clock (epoch ms): occurrences' phases, starts and ends, corrections' times. Default Date.now. */
  clock?: () => number;
  /** How often the sessions consumer looks at the clock for occurrences starting and ending (ms; 0: never). */
  sessionsTickMs?: number;
  /** How far back the sessions consumer still records a missed start or end (ms; default 2 days). */
  sessionsLookbackMs?: number;
}

export interface RunningPortal {
  url: string;
  port: number;
  server: HttpServer;
  io: SocketServer;
  api: Api;
  checks: ReadinessCheck[];
  /** The sessions consumer (its fold, its clock's `tick()`). */
  sessions: SessionsConsumer;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_WEB_DIST = resolve(here, "../../../web/dist");

/** Starts the portal: HTTP API, socket.io push, and (by default) the projections and the alert consumer. */
export async function startPortal(o: PortalOptions): Promise<RunningPortal> {
  const { bus, store, log } = o;
  const stores = await openStores(o);
  const rules = await RulesStore.open(bus);
  const cameras = new CameraDirectory();
  await cameras.start(bus);
  const watcher = await EnrollmentWatcher.start(bus);
  const { models } = stores;
  const media = new MediaStore(
    bus,
    async (id) => (await models.sightings.get(id))?.cropId,
    async (visitorId, detectionId) =>
      (await models.visitors.get(visitorId))?.bestCrops.find((c) => c.detectionId === detectionId)?.cropId,
  );
  const thresholds = await ThresholdStore.open(bus);
  const search = new PhotoSearch(bus, o.search ?? {}, log.child({ part: "search" }), (model, mode) =>
    thresholds.get(model, mode).catch(() => null),
  );
  const consumers = o.projections === false ? { loops: [] } : await startConsumers(o, models, rules, cameras);
  const sessionsConsumer = new SessionsConsumer({
    bus,
    log: log.child({ part: "sessions" }),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.sessionsTickMs === undefined ? {} : { tickMs: o.sessionsTickMs }),
    ...(o.sessionsLookbackMs === undefined ? {} : { lookbackMs: o.sessionsLookbackMs }),
  });
  await sessionsConsumer.start();
  const ctx: PortalContext = {
    ...stores,
    bus,
    store,
    log,
    media,
    rules,
    cameras,
    cameraConfig: await CameraConfigStore.open(bus),
    thresholds,
    watcher,
    secureCookies: o.secureCookies ?? false,
    live: new LiveSources({ liveUrls: o.liveUrls, cameraLiveUrl: o.cameraLiveUrl }),
    enrollTimeoutMs: o.enrollTimeoutMs ?? 60_000,
    search,
    serviceHealth: o.serviceHealth ?? [],
    attendanceSessions: {
      consumer: sessionsConsumer,
      writer: new SessionsWriter(bus, () => sessionsConsumer.fold.projection.sessions),
    },
    readiness: async () => {
      const nats = await bus.readiness();
      const sessions = sessionsConsumer.health();
      const out = [
        { name: "portal/nats", ready: nats.ok, detail: nats.detail ?? "" },
        { name: "portal/sessions", ready: sessions.ok, detail: sessions.detail },
      ];
      for (const l of [...(consumers.projections?.loops ?? []), ...consumers.loops])
        out.push({ name: `portal/${l.name}`, ready: l.running, detail: `${l.inFlight} in flight` });
      return out;
    },
  };
  const sessionOf = sessionResolver(stores.sessions, stores.users);
  const requestSession = bearerOrCookie(stores, sessionOf);
  const { api, router } = apiRouter(ctx, requestSession);
  const server = createServer(httpApp(o, router));
  const io = socketServer(server, sessionOf);
  const push = new LivePush(io, store, models, log.child({ part: "push" }), cameras);
  await push.start(bus);
  push.followSessions(sessionsConsumer);
  const url = await listen(server, o.port ?? 8080, o.host ?? "127.0.0.1");
  log.info({ url }, "portal listening");
  const stopTimers = startHousekeeping(o, stores, io);

  let stopped = false;
  return {
    url,
    port: (server.address() as AddressInfo).port,
    server,
    io,
    api,
    sessions: sessionsConsumer,
    checks: [
      { name: "http", check: () => ({ ok: server.listening, detail: url }) },
      { name: "push", check: () => push.health() },
      { name: "sessions", check: () => sessionsConsumer.health() },
    ],
    async stop() {
      if (stopped) return;
      stopped = true;
      stopTimers();
      await push.stop();
      await new Promise<void>((r) => io.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await sessionsConsumer.stop();
      for (const l of consumers.loops) await l.stop();
      await consumers.projections?.stop();
      await search.stop();
      await watcher.close();
      await cameras.stop();
    },
  };
}

type Stores = Pick<PortalContext, "models" | "users" | "sessions" | "limiter" | "alerts" | "resolvedUnknowns" | "apiKeys">;

/** The portal's collections (read models, users, sessions, login limits, alerts); the first admin is created here. */
async function openStores(o: PortalOptions): Promise<Stores> {
  const { store, log } = o;
  const users = await Users.open(store);
  if (await users.ensureFirstAdmin(o.admin)) log.info({ username: o.admin?.username }, "first admin created");
  return {
    models: await openReadModels(store),
    users,
    sessions: await SessionStore.open(store, o.sessionTtlMs ?? 12 * 60 * 60 * 1000),
    limiter: await LoginLimiter.open(store, o.loginLimits ?? DEFAULT_LIMITS),
    apiKeys: await ApiKeyStore.open(store),
    alerts: await AlertsRepository.open(store),
    resolvedUnknowns: await ValidatedCollection.open(store, { name: "portal_unknowns_resolved" }, ResolvedUnknownDoc),
  };
}

/** The shared projections, the alerts projection and the alert consumer (durables shared by all replicas). */
async function startConsumers(
  o: PortalOptions,
  models: ReadModels,
  rules: RulesStore,
  cameras: CameraDirectory,
): Promise<{ projections?: RunningProjections; loops: ConsumerLoop[] }> {
  const { bus, store, log } = o;
  const projections = await startProjections({ bus, store, log, timeZone: o.timeZone ?? HOST_TIME_ZONE });
  const loops = [await startAlertsProjection(bus, store)];
  const effectiveRules = async (): Promise<AlertRules> => {
    const r = await rules.get();
    // camera roles the cameras announce fill in for cameras the rules do not configure
    const cams = { ...r.cameras };
    for (const [id, v] of cameras.cameras) if (!cams[id] && v.role) cams[id] = { role: v.role };
    return { ...r, cameras: cams };
  };
  loops.push(
    await startAlertConsumer({
      bus,
      store,
      models,
      log: log.child({ part: "alerts" }),
      rules: effectiveRules,
      ignoredVisitorMinSimilarity: o.ignoredVisitorMinSimilarity ?? null,
    }),
  );
  return { projections, loops };
}

/** The session of a cookie, with the user's current role (a removed user has none). */
function sessionResolver(sessions: SessionStore, users: Users): (cookieHeader: string | undefined) => Promise<Session | null> {
  return async (cookieHeader) => {
    const token = cookieValue(cookieHeader, SESSION_COOKIE);
    if (!token) return null;
    const doc = await sessions.find(token);
    if (!doc) return null;
    const user = await users.repo.get(doc.userId);
    if (!user) {
      await sessions.delete(doc.id);
      return null;
    }
    return {
      id: doc.id,
      userId: user.id,
      username: user.username,
      role: user.role,
      csrfToken: doc.csrfToken,
      expiresAt: doc.expiresAt,
    };
  };
}

/**
 * A request's session: `Authorization: Bearer <API key>` when present (the key's role, no CSRF; every request with a
 * known key audited once answered), else the cookie's. A bearer token that is no usable key is 401 with the reason
 * and counts as a failed login of the client IP (the login limiter's per-IP lock, then 429).
 */
function bearerOrCookie(
  stores: Stores,
  sessionOf: (cookieHeader: string | undefined) => Promise<Session | null>,
): (req: express.Request, res: express.Response) => Promise<Session | null> {
  const { apiKeys, limiter } = stores;
  return async (req, res) => {
    const auth = req.get("authorization");
    if (auth === undefined || !/^bearer\s/i.test(auth)) return sessionOf(req.headers.cookie);
    const ip = req.ip ?? req.socket.remoteAddress ?? "?";
    const locked = (retryAfterS: number) =>
      new ApiError(429, "locked", `too many failed attempts from this client; try again in ${retryAfterS} s`, undefined, {
        "Retry-After": String(retryAfterS),
      });
    const lockedFor = await limiter.ipLocked(ip);
    if (lockedFor > 0) throw locked(lockedFor);
    const check = await apiKeys.check(auth.replace(/^bearer\s+/i, "").trim());
    if ("key" in check) {
      const keyId = check.key.id;
      res.on("finish", () => {
        void apiKeys
          .recordUse(keyId, { method: req.method, path: req.originalUrl.split("?")[0] ?? "", status: res.statusCode, ip })
          .catch(() => undefined);
      });
    }
    if (!check.ok) {
      const lockedNow = await limiter.bearerFailed(ip);
      if (lockedNow > 0) throw locked(lockedNow);
      const why = {
        malformed: ["api-key-invalid", "the bearer token is not an API key"],
        unknown: ["api-key-invalid", "no such API key"],
        revoked: ["api-key-revoked", "this API key was revoked"],
        expired: ["api-key-expired", `this API key expired at ${"key" in check ? check.key.expiresAt : ""}`],
      }[check.reason] as [string, string];
      throw new ApiError(401, why[0], why[1]);
    }
    const k = check.key;
    return {
      id: `api-key:${k.id}`,
      userId: `api-key:${k.id}`,
      username: `api-key:${k.prefix}`,
      role: k.role,
      csrfToken: "",
      expiresAt: k.expiresAt ?? "9999-12-31T23:59:59.999Z",
      apiKeyId: k.id,
    };
  };
}

/** The express app: security headers, the API under /api/v1, and the built console (static + SPA fallback). */
function httpApp(o: PortalOptions, router: express.Router): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // behind a reverse proxy, the client address (login lockout per username+IP) comes from X-Forwarded-For
  if (o.trustProxy !== undefined && o.trustProxy !== false) app.set("trust proxy", o.trustProxy);
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "same-origin");
    next();
  });
  app.use("/api/v1", router);
  app.use("/api", (_req, res) => sendError(res, new ApiError(404, "not-found", "no such API route")));

  const webDist = o.webDist === undefined ? (existsSync(DEFAULT_WEB_DIST) ? DEFAULT_WEB_DIST : null) : o.webDist;
  if (webDist !== null && existsSync(join(webDist, "index.html"))) {
    const csp = contentSecurityPolicy();
    app.use((_req, res, next) => {
      res.setHeader("Content-Security-Policy", csp);
      next();
    });
    app.use(express.static(webDist, { index: "index.html", dotfiles: "deny" }));
    app.get(/^(?!\/(api|socket\.io)(\/|$)).*/, (_req, res) => {
      res.sendFile(join(webDist, "index.html"));
    });
    o.log.info({ webDist }, "serving the web app");
  }
  app.use(errorHandler(o.log));
  return app;
}

/** socket.io on the HTTP server: same origin only, a valid session, each socket in the live room and its session's. */
function socketServer(server: HttpServer, sessionOf: (cookie: string | undefined) => Promise<Session | null>): SocketServer {
  const io = new SocketServer(server, {
    path: "/socket.io",
    serveClient: false,
    allowRequest: (req, cb) => {
      // same origin only (the cookie is SameSite=Strict too)
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`)
        return cb("cross-origin", false);
      cb(null, true);
    },
  });
  io.use(async (socket, next) => {
    try {
      const s = await sessionOf(socket.request.headers.cookie);
      if (!s) return next(new Error("unauthorized"));
      socket.data.session = s;
      next();
    } catch (err) {
      next(err as Error);
    }
  });
  io.on("connection", (socket) => {
    void socket.join([LIVE_ROOM, `session:${(socket.data.session as Session).id}`]);
  });
  return io;
}

async function listen(server: HttpServer, port: number, host: string): Promise<string> {
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(port, host, () => res());
  });
  const actual = (server.address() as AddressInfo).port;
  return `http://${host.includes(":") ? `[${host}]` : host}:${actual}`;
}

/** Purges expired sessions and login counters; drops sockets whose session ended. Returns the stop function. */
function startHousekeeping(o: PortalOptions, stores: Stores, io: SocketServer): () => void {
  const { sessions, limiter, users, apiKeys } = stores;
  const purge = setInterval(() => {
    void sessions.purgeExpired().catch(() => undefined);
    void limiter.purge().catch(() => undefined);
    void apiKeys.purge().catch(() => undefined);
  }, 10 * 60_000);
  purge.unref();
  // a socket lives no longer than its session (logout on any replica, expiry, user removed): checked every 30 s
  const recheck = setInterval(() => {
    void (async () => {
      for (const socket of io.sockets.sockets.values()) {
        const s = socket.data.session as Session | undefined;
        const alive =
          s !== undefined && (await sessions.get(s.id)) !== undefined && (await users.repo.get(s.userId)) !== undefined;
        if (!alive) socket.disconnect(true);
      }
    })().catch((err) => o.log.warn({ err }, "socket session check failed"));
  }, o.socketRecheckMs ?? 30_000);
  recheck.unref();
  return () => {
    clearInterval(purge);
    clearInterval(recheck);
  };
}

/** The web app's CSP: its own scripts and images only (plus data:/blob: for inline crops); live views come through
 * the portal's own /cameras/{id}/live, so no camera origin is allowed. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
