/** Pure helpers for ffmpeg-based sources: which kind a source is, the ffmpeg command line, redaction of secrets. */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export { SOURCE_KINDS, type SourceKind, inferSourceKind, redactSecrets, sourceFitsKind } from "@persona/contracts";
import { type SourceKind, inferSourceKind } from "@persona/contracts";

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
