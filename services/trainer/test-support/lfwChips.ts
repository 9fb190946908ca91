/**
 * Real LFW faces for tests and the bench: each photo's main face detected (BlazeFace) and aligned to the
 * recognizer's default chip template (dlib 150), exactly as the camera does. Chips are cached (raw RGB) in the OS
 * temp dir, keyed by photo, so repeated runs skip detection.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lfwDir, lfwSkipReason } from "@persona/testing";
import { FaceDetector, type RgbImage, decodeImage, detectAndAlign, embedderSpec, resolveModelPath } from "@persona/vision";

export const LFW_DIR = lfwDir();

/** Why LFW-based tests cannot run here (no LFW, or the detector and embedder models not built), or undefined. */
export function lfwMissing(): string | undefined {
  return lfwSkipReason(resolveModelPath("blazeface-back-256.onnx"), resolveModelPath("dlib-resnet29.onnx"));
}

export interface LfwChip {
  person: string;
  file: string;
  chip: RgbImage;
}

const CACHE = join(tmpdir(), "persona-trainer-lfw-chips");

/** Up to `perPerson` aligned chips of each person (photos in file order; photos without a face are skipped). */
export async function lfwChips(people: readonly string[], perPerson: number, skip = 0): Promise<LfwChip[]> {
  mkdirSync(CACHE, { recursive: true });
  const template = embedderSpec("dlib-resnet29").template;
  let detector: FaceDetector | undefined;
  const out: LfwChip[] = [];
  try {
    for (const person of people) {
      const files = readdirSync(join(LFW_DIR, person))
        .filter((f) => f.endsWith(".jpg"))
        .sort()
        .slice(skip, skip + perPerson);
      for (const f of files) {
        const path = join(LFW_DIR, person, f);
        const key = createHash("sha1").update(`${path}/${template.name}/${template.width}`).digest("hex");
        const cached = join(CACHE, `${key}.rgb`);
        if (existsSync(cached)) {
          const data = readFileSync(cached);
          if (data.length === template.width * template.height * 3) {
            out.push({ person, file: f, chip: { data: new Uint8Array(data), width: template.width, height: template.height } });
          }
          continue;
        }
        detector ??= await FaceDetector.create();
        const img = await decodeImage(path);
        const faces = await detectAndAlign(img, { detector, template });
        const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
        if (!face) {
          writeFileSync(cached, Buffer.alloc(0));
          continue;
        }
        writeFileSync(cached, face.chip.data);
        out.push({ person, file: f, chip: face.chip });
      }
    }
  } finally {
    await detector?.dispose();
  }
  return out;
}
