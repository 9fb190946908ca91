import { readFileSync } from "node:fs";
import { CameraIdInput, CameraRole, DEFAULT_CAMERA_GROUP, DetectionZone, MAX_CAMERA_ID_LENGTH, Token } from "@persona/contracts";
import { datasetsDir, env, defaultStoreUrl } from "@persona/runtime";
import { type AlignmentTemplate, embedderSpec } from "@persona/vision";
import { z } from "zod";
import type { BestShotOptions } from "./bestShot.ts";
import { SOURCE_KINDS, type SourceKind, inferSourceKind, redactSecrets, sourceFitsKind } from "./sources/ffmpegArgs.ts";
import type { TrackerOptions } from "./tracker.ts";

export { MAX_CAMERA_ID_LENGTH };

/** One camera as written in CAMERAS / CAMERAS_FILE. Unknown keys are refused (a typo must not pass silently). */
export const CameraEntry = z.strictObject({
  /** Letters, digits, '_' and '-': it becomes part of NATS subjects and track ids. */
  id: CameraIdInput,
  /** Display name (live view, console). Default: the id. */
  name: z.string().min(1).max(100).optional(),
  /** A file path or file:// URL, rtsp(s)://, http(s):// (MJPEG or a video file), or /dev/videoN. */
  source: z.string().trim().min(1).max(2048),
  /** Inferred from `source` when omitted. */
  kind: z.enum(SOURCE_KINDS).optional(),
  role: CameraRole,
  /** Files: play again from the start at the end. Default false. */
  loop: z.boolean().optional(),
  /** Files: read at the video's own frame rate, as a live camera (true, default), or as fast as possible (false). */
  realtime: z.boolean().optional(),
  /** Detections per second (frames beyond it are skipped before decoding into memory). Default 5. */
  detectFps: z.number().positive().max(60).optional(),
  /** Downscale frames wider than this (aspect kept) before detection. Default: source size. */
  maxWidth: z.number().int().min(64).max(7680).optional(),
  /** Faces whose box centre lies outside this rectangle (fractions of the frame) are ignored. Default: whole frame. */
  zone: DetectionZone.optional(),
});
export type CameraEntry = z.infer<typeof CameraEntry>;

/** A camera with every default applied and its kind resolved. */
export interface CameraConfig {
  id: string;
  name: string;
  source: string;
  kind: SourceKind;
  role: CameraRole;
  loop: boolean;
  realtime: boolean;
  detectFps: number;
  maxWidth: number | null;
  /** Faces whose box centre is outside it are ignored; null = the whole frame. */
  zone: DetectionZone | null;
  /** "bootstrap": CAMERAS / CAMERAS_FILE as given; "managed": from (or overridden by) the KV config. */
  origin: "bootstrap" | "managed";
  /** The managed-camera group it belongs to (bootstrap cameras: the service's CAMERA_GROUP). */
  group: string;
  /** false: configured but not run (a managed entry disabled it). */
  enabled: boolean;
}

export const CAMERA_DEFAULTS = { loop: false, realtime: true, detectFps: 5 } as const;

/** A camera list whose JSON form (what the config log prints) hides passwords in source URLs. */
export type CameraList = CameraConfig[];

function withRedactedJson(list: CameraConfig[]): CameraList {
  Object.defineProperty(list, "toJSON", {
    value: () => list.map((c) => ({ ...c, source: redactSecrets(c.source) })),
    enumerable: false,
  });
  return list;
}

/** Per entry: the kind must be inferable from the source, or fit it; loop/realtime only for files. */
const CheckedEntry = CameraEntry.superRefine((c, ctx) => {
  const inferred = inferSourceKind(c.source);
  if (c.kind === undefined && inferred === null) {
    ctx.addIssue({
      code: "custom",
      path: ["source"],
      message: `cannot tell the kind of source "${redactSecrets(c.source)}": use a file path, rtsp://, http(s):// or /dev/videoN`,
    });
  } else if (c.kind !== undefined && !sourceFitsKind(c.source, c.kind)) {
    ctx.addIssue({ code: "custom", path: ["kind"], message: `source "${redactSecrets(c.source)}" is not a ${c.kind} source` });
  }
  const kind = c.kind ?? inferred;
  if (kind !== "file" && (c.loop !== undefined || c.realtime !== undefined)) {
    ctx.addIssue({ code: "custom", path: [], message: `"loop" and "realtime" apply to file sources only (this is ${kind})` });
  }
});

/** The camera list schema: entries validated, ids unique, kinds resolved. */
export const CameraListSchema = z
  .array(CheckedEntry)
  .superRefine((cams, ctx) => {
    const seen = new Map<string, number>();
    cams.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate camera id "${c.id}" (also entry ${first})` });
      } else seen.set(c.id, i);
    });
  })
  .transform((cams) =>
    withRedactedJson(
      cams.map((c) => ({
        id: c.id,
        name: c.name ?? c.id,
        source: c.source,
        kind: c.kind ?? (inferSourceKind(c.source) as SourceKind),
        role: c.role,
        loop: c.loop ?? CAMERA_DEFAULTS.loop,
        realtime: c.realtime ?? CAMERA_DEFAULTS.realtime,
        detectFps: c.detectFps ?? CAMERA_DEFAULTS.detectFps,
        maxWidth: c.maxWidth ?? null,
        zone: c.zone ?? null,
        origin: "bootstrap" as const,
        group: DEFAULT_CAMERA_GROUP,
        enabled: true,
      })),
    ),
  );

/** Parses a JSON camera list, reporting JSON and schema problems as issues of `ctx` (paths prefixed). */
function parseCameraJson(text: string, where: string, ctx: z.RefinementCtx): CameraList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${where} is not valid JSON: ${(err as Error).message}` });
    return z.NEVER;
  }
  const parsed = CameraListSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: "custom",
        path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
        message: issue.message,
      });
    }
    return z.NEVER;
  }
  return parsed.data;
}

/** The template of the chips sent to the recognizers; it must be the one their embedding model expects. */
export const CHIP_TEMPLATES = ["dlib150", "arcface112", "faceres224"] as const;
export type ChipTemplateName = (typeof CHIP_TEMPLATES)[number];

/** arcface112: fr_feature (the default recognizer model) and mobileface; dlib150: dlib ResNet-29; faceres224: faceres
 * models. */
export function chipTemplate(name: ChipTemplateName): AlignmentTemplate {
  switch (name) {
    // the chip the recognizer's model is aligned with (its template is chosen by LFW measurement in @persona/vision)
    case "dlib150":
      return embedderSpec("dlib-resnet29").template;
    case "arcface112":
      return embedderSpec("fr_feature").template;
    case "faceres224":
      return embedderSpec("faceres").template;
    default: {
      const never: never = name;
      throw new Error(`unknown chip template ${String(never)}`);
    }
  }
}

/** The camera service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z
  .strictObject({
    /** Not read by the camera (it keeps nothing in the document store); only accepted and logged at start. */
    STORE_URL: z.string().default(() => defaultStoreUrl()),
    /** Cameras as JSON: [{"id":"gate-1","source":"rtsp://...","role":"entrance"}]. */
    CAMERAS: z
      .string()
      .default("[]")
      .transform((s, ctx) => parseCameraJson(s, "CAMERAS", ctx)),
    /** A JSON file with the camera list (instead of CAMERAS). */
    CAMERAS_FILE: z
      .string()
      .optional()
      .transform((path, ctx) => {
        if (path === undefined) return undefined;
        let text: string;
        try {
          text = readFileSync(path, "utf8");
        } catch (err) {
          ctx.addIssue({ code: "custom", message: `cannot read ${path}: ${(err as Error).message}` });
          return z.NEVER;
        }
        return parseCameraJson(text, path, ctx);
      }),

    /** Which managed cameras (added in the console, stored in the KV config) this service runs: those of this group.
     * "off": none, only CAMERAS / CAMERAS_FILE. Run one camera service per group: two in one group run its cameras
     * twice. */
    CAMERA_GROUP: z.union([z.literal("off"), Token.max(40)]).default(DEFAULT_CAMERA_GROUP),
    /** The folder that file sources of managed cameras are relative to (a request never names a file outside it).
     * Default: the shared data sets' videos folder. */
    MANAGED_FILES_DIR: z
      .string()
      .min(1)
      .default(() => `${datasetsDir()}/videos`),
    /** How often the state, fps and last error of each camera are written to the KV `camera-health` bucket (ms). */
    HEALTH_REPORT_MS: env.int(2000, 200, 60_000),

    /** The live view (MJPEG per camera, snapshots, camera list). */
    LIVE_HOST: env.str("127.0.0.1"),
    /** The live view's HTTP port (0 = any free port, logged at start): one per camera process on a host. */
    LIVE_PORT: env.port(8090),
    /** Live view frames per second at most (it never exceeds the detection rate). */
    LIVE_MAX_FPS: env.num(10, 0.1, 30),
    /** JPEG quality of the live view's MJPEG frames and snapshots: lower it to save bandwidth and CPU. The chips sent to
     * the recognizers use CROP_JPEG_QUALITY. */
    LIVE_JPEG_QUALITY: env.int(75, 10, 100),

    /** Detector worker threads: "auto" = min(cameras, max(2, cores - 1)); 0 = on the main thread. */
    DETECTOR_THREADS: z
      .union([z.literal("auto"), z.coerce.number().int().min(0).max(64)], {
        error: 'must be "auto" or a number of threads from 0 (main thread) to 64',
      })
      .default("auto"),
    /** Smallest face detected (px, after maxWidth); also decides tiling. */
    DETECT_MIN_FACE_SIZE: env.int(32, 8, 2048),
    /** Detector confidence; default the detector's own (YuNet 0.6, BlazeFace 0.5). */
    DETECT_SCORE_THRESHOLD: z.coerce.number().min(0.05).max(0.99).optional(),
    /** BlazeFace only (YuNet, used when its model is present, ignores it and always scales the frame for
     * DETECT_MIN_FACE_SIZE). "auto": a finer pass (level image or tiles) when the frame is too large for such faces; "on":
     * always tiles; "off": one whole-frame pass (small faces in large frames are lost). */
    DETECT_TILING: z.enum(["auto", "on", "off"]).default("auto"),

    /** Box overlap (IoU with the track's last or predicted box) at which a detection may continue a track; one whose
     * keypoints are within 1.5 face sizes (fixed) may too, whatever the overlap. Higher: more new tracks. */
    TRACK_IOU_THRESHOLD: env.num(0.2, 0, 1),
    /** Detection frames a face may go unseen before its track ends. Default: one second's worth (round(detectFps),
     * at least 2) per camera. */
    TRACK_MAX_MISSED: z.coerce.number().int().min(0).max(10_000).optional(),
    /** Detection frames that confirm a track before it publishes (1 = publish from the first frame). */
    TRACK_MIN_HITS: env.int(2, 1, 100),
    /** A detection frame whose colours differ this much from the previous one is a scene cut: every track ends
     * ("scene-cut"), so no track carries on onto the next scene's faces. 0 = off. See sceneCut.ts. */
    SCENE_CUT_THRESHOLD: env.num(0.25, 0, 1),

    /** After a track's first shot, at most one shot (the best face since the last) per this many ms goes to the
     * recognizers: lower it for more votes per track, raise it to cut their load. 0 = every detection frame. */
    BEST_SHOT_INTERVAL_MS: env.int(1000, 0, 3_600_000),
    /** A face is a shot candidate only at or above this quality score (size, sharpness, pose and detector confidence,
     * 0..1), on top of the quality gate: raise it to send fewer, better faces. */
    BEST_SHOT_MIN_QUALITY: env.num(0.3, 0, 1),
    /** After this many shots a track sends only faces better than every earlier shot (someone staying long does not
     * flood the recognizers). */
    BEST_SHOT_MAX_PER_TRACK: env.int(20, 1, 100_000),
    /** Must be the template of the recognizers' RECOGNIZER_MODEL (arcface112 for the default fr_feature). */
    CHIP_TEMPLATE: z.enum(CHIP_TEMPLATES).default("arcface112"),
    /** "auto": chips of dlib templates are aligned from the 68-point landmark net (as dlib aligns; ~1.4 ms per
     * published face); "off": from the detector's 4 keypoints. Must match the recognizers' ALIGN_LANDMARKS. */
    ALIGN_LANDMARKS: z.enum(["auto", "off"]).default("auto"),
    /** Chips are 112-224 px: at 90 a JPEG is ~5-20 KB, far below the 96 KiB inline limit. */
    CROP_JPEG_QUALITY: env.int(90, 30, 100),

    /** The ffmpeg (>= 5.1) run for each camera; when it cannot be started the camera is reported failed at once, without
     * retries. */
    FFMPEG_PATH: env.str("ffmpeg"),
    /** First delay before reconnecting a live source (or a looped file) that stopped or could not be opened; doubled
     * per failure up to SOURCE_RETRY_MAX_MS, +-20% jitter. The count restarts after 30 s of frames. */
    SOURCE_RETRY_INITIAL_MS: env.int(1000, 10, 600_000),
    /** Longest reconnect delay (the doubling stops there); at least SOURCE_RETRY_INITIAL_MS. */
    SOURCE_RETRY_MAX_MS: env.int(30_000, 10, 3_600_000),
    /** Failed reconnects in a row before a camera is reported failed; 0 = retry forever. */
    SOURCE_MAX_ATTEMPTS: env.int(0, 0, 1_000_000),
    /** A source that sent frames and then nothing for this long is restarted. */
    SOURCE_STALL_TIMEOUT_MS: env.int(15_000, 500, 600_000),
    /** A source must send its first frame within this long after ffmpeg started (connection, probing). */
    SOURCE_STARTUP_TIMEOUT_MS: env.int(30_000, 1000, 600_000),
    /** Socket I/O timeout given to ffmpeg for RTSP (`-timeout`), HTTP streams and http(s) video files (`-rw_timeout`), so
     * a silent peer fails and is retried instead of hanging; not used for local files and webcams. */
    SOURCE_IO_TIMEOUT_MS: env.int(10_000, 500, 600_000),
    /** Events waiting to be published per camera before frames are dropped instead. */
    PUBLISH_MAX_PENDING: env.int(64, 1, 100_000),
  })
  .superRefine((c, ctx) => {
    if (c.CAMERAS_FILE !== undefined && c.CAMERAS.length > 0) {
      ctx.addIssue({ code: "custom", path: ["CAMERAS_FILE"], message: "set CAMERAS or CAMERAS_FILE, not both" });
    }
    if (c.SOURCE_RETRY_MAX_MS < c.SOURCE_RETRY_INITIAL_MS) {
      ctx.addIssue({ code: "custom", path: ["SOURCE_RETRY_MAX_MS"], message: "must be >= SOURCE_RETRY_INITIAL_MS" });
    }
  });
export type Config = z.infer<typeof configSchema>;

/** The cameras to run: CAMERAS_FILE's list when set, else CAMERAS's. */
export function camerasOf(config: Pick<Config, "CAMERAS" | "CAMERAS_FILE">): CameraList {
  return config.CAMERAS_FILE ?? config.CAMERAS;
}

/** Detection frames a track may be missed: TRACK_MAX_MISSED, or one second's worth at the camera's rate. */
export function maxMissedFor(camera: Pick<CameraConfig, "detectFps">, configured: number | undefined): number {
  return configured ?? Math.max(2, Math.round(camera.detectFps));
}

/**
 * Detector threads to start for `cameras` cameras on `cores` cores: one per camera, up to all cores but one, and at
 * least two when there are two cameras (on 2 cores one thread was the bottleneck: 3 cameras dropped 8% of frames
 * with one thread and 2% with two, the rest of the pipeline using ~1.6 cores; services/camera/bench/pipeline.bench.ts).
 */
export function detectorThreads(setting: Config["DETECTOR_THREADS"], cameras: number, cores: number): number {
  if (cameras === 0) return 0;
  if (setting === "auto") return Math.max(1, Math.min(cameras, Math.max(2, cores - 1)));
  return setting;
}

/** The per-camera pipeline settings derived from the config. */
export interface PipelineSettings {
  tracker: TrackerOptions;
  bestShot: Required<BestShotOptions>;
  template: AlignmentTemplate;
  cropJpegQuality: number;
  publishMaxPending: number;
  /** Colour-histogram distance between consecutive detection frames that ends every track (0 = off); sceneCut.ts. */
  sceneCutThreshold: number;
}

export function pipelineSettings(config: Config, camera: CameraConfig): PipelineSettings {
  return {
    tracker: {
      iouThreshold: config.TRACK_IOU_THRESHOLD,
      maxMissed: maxMissedFor(camera, config.TRACK_MAX_MISSED),
      minHits: config.TRACK_MIN_HITS,
    },
    bestShot: {
      intervalMs: config.BEST_SHOT_INTERVAL_MS,
      minQuality: config.BEST_SHOT_MIN_QUALITY,
      maxShotsPerTrack: config.BEST_SHOT_MAX_PER_TRACK,
    },
    template: chipTemplate(config.CHIP_TEMPLATE),
    cropJpegQuality: config.CROP_JPEG_QUALITY,
    publishMaxPending: config.PUBLISH_MAX_PENDING,
    sceneCutThreshold: config.SCENE_CUT_THRESHOLD,
  };
}
