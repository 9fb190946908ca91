/**
 * Degraded copies of LFW for the enhancement study (issue #18): a subsample of View 2 (`--per-fold` matched and as
 * many mismatched pairs from each of the 10 folds, same protocol) written once per kind, each a folder that
 * `eval-lfw.ts --data` reads like LFW itself:
 *
 * - clean: the images as they are (the baseline for the same pairs);
 * - dark: exposure cut to 22% (about -2.2 EV), as an unlit room;
 * - backlit: the centre (the face) at 35% and the border brightened towards white, as a face before a window;
 * - blur: Gaussian blur, sigma 2.5 px (a face of ~105 px: out of focus or moving);
 * - jpeg20: JPEG quality 20 (a starved stream);
 * - small: shrunk so the face is 24-40 px wide (seeded per image), then enlarged back to 250 px (the resolution a
 *   distant face has; the detector still sees a 250 px image).
 *
 * Deterministic: the same LFW gives byte-identical folders (seeded choices, OpenCV's deterministic kernels).
 *
 *   node --import tsx packages/eval/bin/degrade-lfw.ts [--out DIR] [--per-fold 60] [--kinds clean,dark,...]
 *
 * DIR defaults to $PERSONA_DATA_DIR/degraded-lfw (else data/degraded-lfw). Beside each kind's folder it writes an
 * open-set layout: DIR/openset-gallery (the clean first image of each person with two or more images in the subsample:
 * enrollment photos are taken with care), DIR/<kind>-openset/probes (their other images, degraded) and
 * DIR/<kind>-openset/impostors (everybody else's images, degraded). Then, for each kind:
 *   node --import tsx packages/eval/bin/eval-lfw.ts --data DIR/<kind> --tasks verify --enhance both
 *   npx persona eval identify --gallery DIR/openset-gallery --probes DIR/<kind>-openset/probes \
 *     --impostors DIR/<kind>-openset/impostors [--enhance]
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { datasetsDir } from "@persona/runtime";
import { floatMatOf, opencv } from "@persona/vision";
import { lfwImagePath } from "../src/lfw.ts";

export const KINDS = ["clean", "dark", "backlit", "blur", "jpeg20", "small"] as const;
type Kind = (typeof KINDS)[number];

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    "per-fold": { type: "string", default: "60" },
    kinds: { type: "string", default: KINDS.join(",") },
    data: { type: "string" },
  },
});
const lfw = values.data ?? join(datasetsDir(), "lfw");
const perFold = Number(values["per-fold"]);
const kinds = (values.kinds ?? "").split(",") as Kind[];
const out = values.out ?? join(process.env.PERSONA_DATA_DIR ?? "data", "degraded-lfw");
if (!existsSync(join(lfw, "pairs.txt"))) {
  console.error(`no LFW at ${lfw} (pairs.txt missing; --data DIR or PERSONA_DATASETS)`);
  process.exit(1);
}
if (!Number.isInteger(perFold) || perFold < 1 || perFold > 300) {
  console.error("--per-fold must be 1..300");
  process.exit(2);
}
for (const k of kinds) {
  if (!KINDS.includes(k)) {
    console.error(`unknown kind "${k}" (kinds: ${KINDS.join(", ")})`);
    process.exit(2);
  }
}

// the subsample: the first `perFold` matched and mismatched pairs of every fold
const lines = readFileSync(join(lfw, "pairs.txt"), "utf8").trim().split(/\r?\n/);
const [folds, n] = (lines[0] ?? "").split(/\s+/).map(Number) as [number, number];
const kept: string[] = [];
for (let f = 0; f < folds; f++) {
  const base = 1 + f * 2 * n;
  kept.push(...lines.slice(base, base + perFold), ...lines.slice(base + n, base + n + perFold));
}
const images = new Set<string>();
for (const l of kept) {
  const p = l.split(/\s+/);
  if (p.length === 3) {
    images.add(`${p[0]}\t${p[1]}`).add(`${p[0]}\t${p[2]}`);
  } else {
    images.add(`${p[0]}\t${p[1]}`).add(`${p[2]}\t${p[3]}`);
  }
}

/** A seeded uniform in [0, 1) per string (FNV-1a then xorshift): the same image gets the same choice every run. */
function seeded(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h ^= h << 13;
  h ^= h >>> 17;
  h ^= h << 5;
  return (h >>> 0) / 4294967296;
}

const cv = opencv();
/** Radial gain of the backlit kind, per pixel of a 250x250 image: 0.35 at the centre, 1.6 at the corners. */
function backlightGain(w: number, h: number): Float32Array {
  const g = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.min(1, Math.hypot((x - w / 2) / (w / 2), (y - h / 2) / (h / 2)) / Math.SQRT2);
      const v = 0.35 + 1.25 * r * r;
      g.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return g;
}
const gains = new Map<string, Float32Array>();

function degrade(kind: Kind, bytes: Buffer, key: string): Buffer {
  const q = (n: number) => [cv.IMWRITE_JPEG_QUALITY, n];
  if (kind === "clean") return bytes;
  const bgr = cv.imdecode(bytes, cv.IMREAD_COLOR);
  let m = bgr;
  switch (kind) {
    case "dark":
      m = bgr.convertTo(cv.CV_8UC3, 0.22);
      break;
    case "backlit": {
      const k = `${bgr.cols}x${bgr.rows}`;
      const g = gains.get(k) ?? backlightGain(bgr.cols, bgr.rows);
      gains.set(k, g);
      m = bgr
        .convertTo(cv.CV_32FC3)
        .hMul(floatMatOf(g, bgr.rows, bgr.cols, 3))
        .convertTo(cv.CV_8UC3);
      break;
    }
    case "blur":
      m = bgr.gaussianBlur(new cv.Size(0, 0), 2.5);
      break;
    case "jpeg20":
      return cv.imencode(".jpg", bgr, q(20));
    case "small": {
      const face = 24 + 16 * seeded(key); // LFW's face is ~105 px wide in the 250 px image
      const s = face / 105;
      const w = Math.max(8, Math.round(bgr.cols * s));
      const h = Math.max(8, Math.round(bgr.rows * s));
      m = bgr.resize(new cv.Size(w, h), 0, 0, cv.INTER_AREA).resize(new cv.Size(bgr.cols, bgr.rows), 0, 0, cv.INTER_LINEAR);
      break;
    }
  }
  return cv.imencode(".jpg", m, q(95));
}

// the open-set layout: people with two or more images in the subsample are enrolled from their first one, clean (an
// enrollment photo is taken with care); their other images, degraded, are the probes; everybody else's are impostors
const byPerson = new Map<string, number[]>();
for (const img of images) {
  const [name, idx] = img.split("\t") as [string, string];
  byPerson.set(
    name,
    [...(byPerson.get(name) ?? []), Number(idx)].sort((x, y) => x - y),
  );
}
const gallery = join(out, "openset-gallery");
for (const [name, idxs] of byPerson) {
  if (idxs.length < 2) continue;
  mkdirSync(join(gallery, name), { recursive: true });
  const first = idxs[0] as number;
  copyFileSync(lfwImagePath(lfw, name, first), lfwImagePath(gallery, name, first));
}

const t0 = performance.now();
for (const kind of kinds) {
  const dir = join(out, kind);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "pairs.txt"), `${folds}\t${perFold}\n${kept.join("\n")}\n`);
  for (const f of ["lfw-names.txt", "people.txt"]) if (existsSync(join(lfw, f))) copyFileSync(join(lfw, f), join(dir, f));
  for (const img of images) {
    const [name, idx] = img.split("\t") as [string, string];
    const src = lfwImagePath(lfw, name, Number(idx));
    const dst = lfwImagePath(dir, name, Number(idx));
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(dst, degrade(kind, readFileSync(src), `${name}/${idx}`));
    const idxs = byPerson.get(name) ?? [];
    if (idxs[0] === Number(idx) && idxs.length > 1) continue; // the enrolled photo
    const role = idxs.length > 1 ? "probes" : "impostors";
    mkdirSync(join(out, `${kind}-openset`, role, name), { recursive: true });
    const link = lfwImagePath(join(out, `${kind}-openset`, role), name, Number(idx));
    if (!existsSync(link)) linkSync(dst, link);
  }
  console.log(`${kind.padEnd(8)} ${images.size} images, ${kept.length} pairs -> ${dir} (open set: ${dir}-openset)`);
}
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
