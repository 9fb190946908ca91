/**
 * Cameras managed at run time: what an admin stores in the KV `config` bucket (key `cameras.<id>`) and what every
 * camera service reports about the cameras it runs in the KV `camera-health` bucket (key `<id>`). The camera service
 * runs its bootstrap cameras (CAMERAS / CAMERAS_FILE) plus the managed cameras of its group; a managed entry with the
 * id of a bootstrap camera and no source overrides that camera's settings (name, role, rate, zone, enabled).
 *
 * The source-kind rules live here because the portal validates a camera exactly as the camera service will.
 */
import { z } from "zod";
import { CameraRole, Token } from "./common.ts";

/** Camera ids end up in track ids (`<camera>-<run>-<n>`, at most 64 characters), hence the shorter limit. */
export const MAX_CAMERA_ID_LENGTH = 40;
export const CameraIdInput = Token.max(MAX_CAMERA_ID_LENGTH);

export const SOURCE_KINDS = ["file", "rtsp", "http", "webcam"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * The kind a source string implies: `rtsp://`/`rtsps://` -> rtsp, `http://`/`https://` -> http, `/dev/video<N>` ->
 * webcam, `file://` URLs and plain paths -> file. Any other URL scheme (rtmp:, udp:, pipe:, concat:...) -> null: such
 * sources are refused rather than handed to ffmpeg, whose protocols can read arbitrary files or open listeners.
 */
export function inferSourceKind(source: string): SourceKind | null {
  const s = source.trim();
  if (/^rtsps?:\/\//i.test(s)) return "rtsp";
  if (/^https?:\/\//i.test(s)) return "http";
  if (/^\/dev\/video\d+$/.test(s)) return "webcam";
  if (/^file:\/\//i.test(s)) return "file";
  if (/^[a-z][a-z0-9+.-]*:/i.test(s)) return null;
  return s.length > 0 ? "file" : null;
}

/** Whether `source` is a URL with a scheme that fits `kind` (or a path, for local kinds). */
export function sourceFitsKind(source: string, kind: SourceKind): boolean {
  const inferred = inferSourceKind(source);
  switch (kind) {
    case "rtsp":
      return inferred === "rtsp";
    case "http":
      return inferred === "http";
    case "webcam":
      // any local device path (v4l2 devices can be symlinks such as /dev/v4l/by-id/...)
      return inferred === "webcam" || inferred === "file";
    case "file":
      // a local file, or a video file served over HTTP(S)
      return inferred === "file" || inferred === "http" || inferred === "webcam";
    default: {
      const never: never = kind;
      throw new Error(`unknown source kind ${String(never)}`);
    }
  }
}

/** Replaces `user:password@` in any URL inside `text` (sources, ffmpeg messages) with `user:***@`. */
export function redactSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):[^/@\s]*@/gi, "$1$2:***@");
}

/**
 * A file source given through the console or the API: a path relative to the camera service's MANAGED_FILES_DIR,
 * without `..` segments (a request never names a file outside that folder). Returns a reason when it is not.
 */
export function managedFileProblem(source: string): string | null {
  const s = source.trim();
  if (/^file:/i.test(s) || s.startsWith("/") || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith("\\")) {
    return "a file source must be a path relative to the camera service's MANAGED_FILES_DIR";
  }
  if (s.split(/[\\/]+/).some((seg) => seg === "..")) return 'a file source may not contain ".." segments';
  if (s.includes("\0")) return "a file source may not contain NUL";
  return null;
}

/** A detection zone: a rectangle in fractions of the frame (0..1 from the top-left corner). Faces whose box centre
 * lies outside it are ignored by the camera. */
export const DetectionZone = z
  .strictObject({
    x: z.number().min(0).max(1),
    y: z.number().min(0).max(1),
    width: z.number().gt(0).max(1),
    height: z.number().gt(0).max(1),
  })
  .refine((z) => z.x + z.width <= 1.000001 && z.y + z.height <= 1.000001, "the zone must lie inside the frame");
export type DetectionZone = z.infer<typeof DetectionZone>;

/** The settings of a camera an admin can change at run time (shared by bootstrap entries and managed entries). */
export const CameraSettings = z.strictObject({
  /** Display name (live view, console). Default: the id. */
  name: z.string().trim().min(1).max(100).optional(),
  role: CameraRole.optional(),
  /** Detections per second. Default 5. */
  detectFps: z.number().positive().max(60).optional(),
  /** Downscale frames wider than this (aspect kept) before detection. Default: source size. */
  maxWidth: z.number().int().min(64).max(7680).optional(),
  /** Faces whose box centre is outside this rectangle are ignored; null = the whole frame. */
  zone: DetectionZone.nullable().optional(),
  /** false: configured but not run. Default true. */
  enabled: z.boolean().optional(),
});
export type CameraSettings = z.infer<typeof CameraSettings>;

/** The default group of managed cameras (the camera service's CAMERA_GROUP). */
export const DEFAULT_CAMERA_GROUP = "default";

/** A managed camera as stored under `cameras.<id>` in the KV `config` bucket. */
export const ManagedCamera = CameraSettings.extend({
  id: CameraIdInput,
  /** Absent: an override of the bootstrap camera with this id. */
  source: z.string().trim().min(1).max(2048).optional(),
  kind: z.enum(SOURCE_KINDS).optional(),
  /** Files: play again from the start at the end. */
  loop: z.boolean().optional(),
  /** Files: read at the video's own frame rate (true, default) or as fast as possible. */
  realtime: z.boolean().optional(),
  /** Which camera services run it (their CAMERA_GROUP). Default "default". */
  group: Token.max(40).optional(),
  updatedAt: z.string().optional(),
  updatedBy: z.string().max(200).optional(),
});
export type ManagedCamera = z.infer<typeof ManagedCamera>;

export const MANAGED_CAMERA_PREFIX = "cameras.";
export const managedCameraKey = (id: string): string => `${MANAGED_CAMERA_PREFIX}${id}`;

/** What a camera service reports about one camera it runs (KV `camera-health`, key = camera id), every few seconds. */
export const CameraHealth = z.object({
  cameraId: CameraIdInput,
  name: z.string(),
  role: CameraRole,
  kind: z.enum(SOURCE_KINDS),
  /** Without credentials. */
  source: z.string(),
  /** "bootstrap": from CAMERAS / CAMERAS_FILE; "managed": from the KV config (possibly overriding a bootstrap one). */
  origin: z.enum(["bootstrap", "managed"]),
  group: z.string(),
  enabled: z.boolean(),
  zone: DetectionZone.nullable(),
  detectFps: z.number(),
  state: z.enum(["starting", "live", "reconnecting", "failed", "ended", "stopped", "disabled"]),
  message: z.string(),
  /** Frames analysed per second over the last report interval. */
  fps: z.number().nonnegative(),
  framesProcessed: z.number().int().nonnegative(),
  lastFrameAt: z.string().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  reconnects: z.number().int().nonnegative(),
  /** The reporting process: host name and pid. */
  reporter: z.string(),
  /** When this report was written; a report older than a few intervals means the camera service is gone. */
  updatedAt: z.string(),
  /** How often the reporter writes (ms): the console calls a report stale after three intervals. */
  intervalMs: z.number().int().positive(),
});
export type CameraHealth = z.infer<typeof CameraHealth>;
