/**
 * Where SCENE_CUT_THRESHOLD comes from: the colour-histogram distance (sceneCut.ts) between consecutive detection
 * frames (5 fps) within each shared clip (no cut: people move, turn, walk up to the camera), against the distance
 * across the join of two different clips (an edit, a switched feed: at the start and middle of each).
 *
 *   node --import tsx services/camera/bench/scene-cut.bench.ts
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { datasetsDir } from "@persona/runtime";
import { colorHistogram, histogramDistance } from "../src/sceneCut.ts";

const dir = join(datasetsDir(), "videos");
const clips = readdirSync(dir)
  .filter((f) => /\.(avi|mp4|wmv)$/.test(f))
  .sort();
const W = 160;
const H = 120;
const frames = new Map<string, Float32Array[]>();
console.log(`scene cuts: ${clips.length} clips at 5 fps, frames ${W}x${H}\n`);
console.log("clip                                                frames  max within  median within");
let maxWithin = 0;
for (const clip of clips) {
  const raw = execFileSync(
    "ffmpeg",
    ["-v", "error", "-i", join(dir, clip), "-vf", `fps=5,scale=${W}:${H}`, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
    { maxBuffer: 1 << 28 },
  );
  const n = raw.length / (W * H * 3);
  const hs: Float32Array[] = [];
  for (let f = 0; f < n; f++) {
    hs.push(colorHistogram({ data: new Uint8Array(raw.buffer, raw.byteOffset + f * W * H * 3, W * H * 3), width: W, height: H }));
  }
  frames.set(clip, hs);
  const ds = hs
    .slice(1)
    .map((h, i) => histogramDistance(hs[i] as Float32Array, h))
    .sort((a, b) => a - b);
  const max = ds[ds.length - 1] ?? 0;
  maxWithin = Math.max(maxWithin, max);
  console.log(
    `${clip.padEnd(50)} ${String(n).padStart(6)}  ${max.toFixed(3).padStart(10)}  ${(ds[Math.floor(ds.length / 2)] ?? 0).toFixed(3).padStart(13)}`,
  );
}
const joins: number[] = [];
for (const a of clips)
  for (const b of clips) {
    if (a === b) continue;
    const A = frames.get(a) as Float32Array[];
    const B = frames.get(b) as Float32Array[];
    for (const i of [0, Math.floor(A.length / 2)])
      for (const j of [0, Math.floor(B.length / 2)]) joins.push(histogramDistance(A[i] as Float32Array, B[j] as Float32Array));
  }
joins.sort((x, y) => x - y);
const q = (p: number) => (joins[Math.floor(p * (joins.length - 1))] as number).toFixed(3);
console.log(`\nmax within a clip: ${maxWithin.toFixed(3)}`);
console.log(`joins of two clips: ${joins.length}; 1% ${q(0.01)}, 5% ${q(0.05)}, 10% ${q(0.1)}, median ${q(0.5)}`);
for (const t of [0.2, 0.25, 0.3]) {
  console.log(`threshold ${t}: ${((100 * joins.filter((j) => j >= t).length) / joins.length).toFixed(1)}% of joins are cuts`);
}
