/**
 * Which face enrollment takes (`pickEnrollmentFace`), measured on real photos: the first photo of each LFW person
 * (news photos: the subject centred, often someone beside or behind) and the crowd photos (which must all be
 * refused). Prints the count of each outcome. Usage: node --import tsx services/recognizer/bench/enrollment-pick.bench.ts
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { datasetsDir } from "@persona/runtime";
import { decodeImage, detectAndAlign, embedderSpec, DEFAULT_EMBEDDER_MODEL, FaceDetector } from "@persona/vision";
import { PhotoRejected, pickEnrollmentFace } from "../src/enrollment.ts";

const detector = await FaceDetector.create();
const template = embedderSpec(DEFAULT_EMBEDDER_MODEL).template;
const outcome = async (path: string): Promise<string> => {
  const img = await decodeImage(path);
  const faces = await detectAndAlign(img, { detector, template });
  try {
    return pickEnrollmentFace(faces, img, 0.4).why;
  } catch (e) {
    if (e instanceof PhotoRejected) return e.reason;
    throw e;
  }
};
const count = async (paths: string[]): Promise<Record<string, number>> => {
  const c: Record<string, number> = {};
  for (const p of paths) {
    const k = await outcome(p);
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
};
const lfw = join(datasetsDir(), "lfw");
const people = readdirSync(lfw, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const t0 = performance.now();
const first = await count(people.map((p) => join(lfw, p, `${p}_0001.jpg`)));
const crowdDir = join(datasetsDir(), "crowd");
const crowd = await count(
  readdirSync(crowdDir)
    .filter((f) => f.endsWith(".jpg"))
    .map((f) => join(crowdDir, f)),
);
console.log(`enrollment pick (${detector.kind}, ${template.name} chips), ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`  LFW first photos (${people.length}): ${JSON.stringify(first)}`);
console.log(`  crowd photos: ${JSON.stringify(crowd)}`);
await detector.dispose();
