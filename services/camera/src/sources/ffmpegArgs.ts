/** Pure helpers for ffmpeg-based sources: which kind a source is, the ffmpeg command line, redaction of secrets. */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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

export interface FfmpegInputSpec {
  kind: SourceKind;
  source: string;
  /** Files only: read at the file's own frame rate (`-re`) instead of as fast as possible. */
  realtime: boolean;
  /** Downscale frames wider than this (aspect kept); null keeps the source size. */
  maxWidth: number | null;
  /** Network sources: socket I/O timeout (ms), so a silent peer fails instead of hanging. */
  ioTimeoutMs: number;
  /** Frames per second at most (the detection rate); 0 = every frame. */
  detectFps: number;
}

/** The ffmpeg input for a local file source: an absolute path behind the `file:` protocol (no other protocol). */
export function fileInput(source: string): string {
  const path = /^file:\/\//i.test(source) ? fileURLToPath(source) : source;
  return `file:${isAbsolute(path) ? path : resolve(path)}`;
}

/**
 * ffmpeg arguments that decode the first video stream of the source to raw RGB24 frames on stdout, one after another
 * with no header (`-f rawvideo -pix_fmt rgb24 pipe:1`). The frame size is printed by ffmpeg on stderr ("Output #0 ...
 * Video: rawvideo ..., WxH") and read from there.
 *
 * The detection rate is enforced by ffmpeg, before scaling, colour conversion and the pipe (a 1080p camera at 25 fps
 * would otherwise push 155 MB/s of RGB through the pipe to keep 5 frames of 25): a `select` filter first in the chain
 * keeps a frame once 1/N s has passed since the last kept one (2 x 1080p cameras downscaled to 1280: decoding cores
 * 0.50 -> 0.38, pipeline bench `--source 1080p`), and `-fps_mode vfr -r N` at the output drops frames that would
 * share an output time slot of 1/N s and never duplicates one, so a source slower than N passes every frame.
 * It works on timestamps: media time for files and RTSP, arrival time for HTTP (MJPEG streams carry none, hence
 * `-use_wallclock_as_timestamps`). Needs ffmpeg >= 5.1 (`-fps_mode`; RTSP `-timeout` as socket I/O timeout).
 */
export function buildFfmpegArgs(spec: FfmpegInputSpec): string[] {
  const ioTimeoutUs = String(Math.max(1, Math.round(spec.ioTimeoutMs * 1000)));
  const args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"];
  switch (spec.kind) {
    case "file": {
      if (spec.realtime) args.push("-re");
      const remote = inferSourceKind(spec.source) === "http";
      if (remote) args.push("-rw_timeout", ioTimeoutUs);
      args.push("-i", remote ? spec.source : fileInput(spec.source));
      break;
    }
    case "rtsp":
      args.push("-rtsp_transport", "tcp", "-timeout", ioTimeoutUs, "-i", spec.source);
      break;
    case "http":
      args.push("-rw_timeout", ioTimeoutUs, "-use_wallclock_as_timestamps", "1", "-i", spec.source);
      break;
    case "webcam":
      args.push("-f", "v4l2", "-i", spec.source);
      break;
    default: {
      const never: never = spec.kind;
      throw new Error(`unknown source kind ${String(never)}`);
    }
  }
  args.push("-map", "0:v:0", "-an", "-sn", "-dn");
  const filters: string[] = [];
  if (spec.detectFps > 0) {
    if (!Number.isFinite(spec.detectFps)) throw new RangeError("detectFps must be finite");
    // drop frames before scaling and colour conversion (they would otherwise run on every source frame and be thrown
    // away at the output): keep a frame once 1/N s (less 1%, for timestamp jitter) passed since the last kept one;
    // frames without a timestamp all pass (the output's -r still limits them)
    const gap = (0.99 / spec.detectFps).toFixed(6);
    filters.push(`select='isnan(t)+isnan(prev_selected_t)+gte(t-prev_selected_t\\,${gap})'`);
  }
  if (spec.maxWidth !== null) {
    if (!Number.isInteger(spec.maxWidth) || spec.maxWidth < 16) throw new RangeError(`maxWidth must be an integer >= 16`);
    // only ever shrinks; height follows the aspect ratio; area averaging keeps small faces detectable
    filters.push(`scale=w='min(iw,${spec.maxWidth})':h=-1:flags=area`);
  }
  if (filters.length > 0) args.push("-vf", filters.join(","));
  if (spec.detectFps > 0) {
    args.push("-fps_mode", "vfr", "-r", String(Math.round(spec.detectFps * 1000) / 1000));
  } else {
    args.push("-fps_mode", "passthrough");
  }
  args.push("-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
  return args;
}
