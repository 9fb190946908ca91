// Shared by the camera benchmarks: the shared walking-crowd clip, re-encoded to the 1280x720 H.264 a camera sends.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetsDir } from "@persona/runtime";

/** The shared walking-crowd clip (1080p); exits 1 naming it when the data sets do not have it. */
export function crowdClip(): string {
  const original = join(datasetsDir(), "videos", "facenet_pytorch_walking_crowd.mp4");
  if (!existsSync(original)) {
    console.error(`needs ${original} (PERSONA_DATASETS)`);
    process.exit(1);
  }
  return original;
}

/** A folder of this run's files, removed when the process exits. */
export function benchTempDir(prefix: string): string {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}

/**
 * `original` re-encoded to `out` as 1280x720 H.264 (area scaling, veryfast, crf 20, no audio), played `1 + loops`
 * times, at `fps` when given; exits 1 with ffmpeg's message when it fails.
 */
export function transcode720(original: string, out: string, o: { loops?: number; fps?: number } = {}): string {
  const loop = o.loops ? ["-stream_loop", String(o.loops)] : [];
  const vf = `scale=1280:720:flags=area${o.fps ? `,fps=${o.fps}` : ""}`;
  const args = ["-v", "error", ...loop, "-i", original, "-an", "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20"];
  const t = spawnSync("ffmpeg", [...args, out]);
  if (t.status !== 0) {
    console.error(`could not transcode ${original} to 1280x720: ${t.stderr}`);
    process.exit(1);
  }
  return out;
}
