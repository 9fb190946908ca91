import { parseHealthTargets } from "@persona/bus";
import { env, defaultStoreUrl } from "@persona/runtime";
import { z } from "zod";
import { HOST_TIME_ZONE, checkTimeZone } from "./projections/attendance.ts";

/** The portal service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  /** The document store: read models, console users, sessions and login attempts (`sqlite:<file>` or `mongodb://...`);
   * the cleaner must use the same one. */
  STORE_URL: z.string().default(() => defaultStoreUrl()),
  /** The port of the console, its HTTP API and WebSocket (0 = any free port, logged at start). */
  PORTAL_PORT: env.port(8080),
  /** The address the portal listens on: 127.0.0.1 keeps it to this machine; 0.0.0.0 for other machines or a container. */
  PORTAL_HOST: env.str("127.0.0.1"),
  /** The first admin, created at start only when no user exists (or use `persona users add NAME --role admin`). */
  PORTAL_ADMIN_USER: z.string().min(1).max(64).optional(),
  /** The first admin's password (with PORTAL_ADMIN_USER), used only when no user exists yet: changing it later changes
   * nothing (`persona users passwd` does). Stored hashed, never logged. */
  PORTAL_ADMIN_PASSWORD: z.string().min(8).max(1024).optional(),
  /** Session lifetime in hours. */
  PORTAL_SESSION_HOURS: env.num(12, 0.1, 24 * 30),
  /** Mark the session cookie Secure (set when the portal is served over HTTPS). */
  PORTAL_SECURE_COOKIES: env.bool(false),
  /**
   * Live view URLs of cameras, each overriding PORTAL_CAMERA_LIVE_URL: "cam1=http://user:pw@host:8090/cameras/cam1/live.mjpeg,cam2=..."
   * (MJPEG; proxied by GET /api/v1/cameras/<id>/live; credentials are never shown).
   */
  PORTAL_LIVE_URLS: z
    .string()
    .default("")
    .transform((s, ctx) => {
      const out: Record<string, string> = {};
      for (const part of s
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)) {
        const i = part.indexOf("=");
        if (i <= 0 || !/^https?:\/\//.test(part.slice(i + 1))) {
          ctx.addIssue({ code: "custom", message: `expected cameraId=http(s)://..., got ${JSON.stringify(part)}` });
          return z.NEVER;
        }
        out[part.slice(0, i)] = part.slice(i + 1);
      }
      return out;
    }),
  /**
   * The camera service's live view (http://host:LIVE_PORT; `persona run` sets it): camera X is proxied from
   * <url>/cameras/X/live.mjpeg and /snapshot.jpg.
   */
  PORTAL_CAMERA_LIVE_URL: z
    .string()
    .regex(/^https?:\/\/[^/]+\/?$/, "expected http(s)://host:port")
    .optional(),
  /**
   * The services' health endpoints the System page (GET /api/v1/system) reads /readyz and /metrics from, one per
   * replica (a service may repeat): "camera=http://10.0.0.5:9101,recognizer=http://10.0.0.6:9102,recognizer=http://10.0.0.7:9102".
   * Default: every service on 127.0.0.1 at its <SERVICE>_HEALTH_PORT or default port, as `persona status` probes them.
   */
  PORTAL_SERVICE_HEALTH_URLS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === "") return undefined;
      try {
        return parseHealthTargets(s);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Express "trust proxy" behind an ingress: "false" (default), a hop count, or addresses/subnets. */
  PORTAL_TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v) => (v === "false" ? false : v === "true" ? true : /^\d+$/.test(v) ? Number(v) : v)),
  /** The built web app; default <repo>/web/dist when it exists. */
  PORTAL_WEB_DIST: z.string().optional(),
  /**
   * Alert rules: an unknown face whose embedding is at least this similar (cosine) to a best face of a visitor an
   * operator ignored is that visitor's, and raises no unknown-face alert. Default: the embedding model's open-set
   * naming threshold (the recognizer's default naming threshold; 0.9406 for dlib-resnet29).
   */
  ALERTS_IGNORED_VISITOR_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).optional(),
  /**
   * Search by photo (POST /identify): the recognizers' embedding model (their RECOGNIZER_MODEL): only the library's
   * templates of this model and mode are searched. Default: theirs (@persona/vision's default model, fr_feature).
   */
  SEARCH_MODEL: z.string().min(1).optional(),
  /** Search by photo: the recognizers' RECOGNIZER_FLIP (templates record it, "fr_feature+flip"); the same default. */
  SEARCH_FLIP: env.bool(true),
  /** Search by photo: the recognizers' RECOGNIZER_NAME_THRESHOLD. Default: the model's open-set threshold for its mode. */
  SEARCH_NAME_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Search by photo: the recognizers' RECOGNIZER_PROBABLE_THRESHOLD. Default: the model's verification threshold. */
  SEARCH_PROBABLE_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Search by photo: the recognizers' RECOGNIZER_MIN_MARGIN. Default: the model's tuned open-set margin. */
  SEARCH_MIN_MARGIN: z.coerce.number().min(0).max(2).optional(),
  /** Search by photo: the recognizers' RECOGNIZER_SINGLE_SHOT_THRESHOLD. Default: the naming threshold + 0.01. */
  SEARCH_SINGLE_SHOT_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Search by photo: onnxruntime threads (the models load on the first search; photos are searched one at a time). */
  SEARCH_THREADS: env.int(1, 0, 64),
  /** Sessions (#17): how often the sessions consumer looks at its clock to record occurrences starting and ending
   * (OccurrenceStarted / OccurrenceEnded, which the bot's absentee messages wait for). */
  SESSIONS_TICK_SECONDS: env.int(15, 1, 3600),
  /** Sessions: how far back a start or end missed while no portal ran is still recorded, and an exam alert a rebuild
   * found missing still published (hours). */
  SESSIONS_LOOKBACK_HOURS: env.int(48, 1, 24 * 366),
  /** IANA time zone in which attendance days are counted. Default: the host's. */
  ATTENDANCE_TIME_ZONE: z
    .string()
    .default(HOST_TIME_ZONE)
    .refine(
      (tz) => {
        try {
          checkTimeZone(tz);
          return true;
        } catch {
          return false;
        }
      },
      { message: "an IANA time zone such as Europe/Moscow or UTC" },
    ),
});
export type Config = z.infer<typeof configSchema>;
