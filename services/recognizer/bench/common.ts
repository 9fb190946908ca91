// Shared by the recognizer benchmarks (recognizer.bench.ts, scaleout.bench.ts): LFW chips aligned for the default
// model (the recognizers refuse chips of another model's size), the FaceDetected events made of them, and real
// recognizer processes (services/recognizer/src/main.ts) pulling from one work queue.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Bus } from "@persona/bus";
import type { EnvelopeOf } from "@persona/contracts";
import { datasetsDir, repoRoot } from "@persona/runtime";
import { waitFor } from "@persona/testing";
import { DEFAULT_EMBEDDER_MODEL, FaceDetector, decodeImage, detectAndAlign, embedderSpec, encodeJpeg } from "@persona/vision";

export interface Chip {
  jpeg: Buffer;
  quality: number;
}

/** Aligned chips from LFW, one per person (the first photo with a face), at most `count` (the camera's chips). */
export async function lfwChips(count = 100): Promise<Chip[]> {
  const lfw = join(datasetsDir(), "lfw");
  const detector = await FaceDetector.create();
  const chips: Chip[] = [];
  for (const person of readdirSync(lfw).sort()) {
    if (chips.length >= count) break;
    let files: string[];
    try {
      files = readdirSync(join(lfw, person)).filter((f) => f.endsWith(".jpg"));
    } catch {
      continue;
    }
    if (!files[0]) continue;
    const [face] = await detectAndAlign(await decodeImage(join(lfw, person, files[0])), {
      detector,
      template: embedderSpec(DEFAULT_EMBEDDER_MODEL).template,
    });
    if (face) chips.push({ jpeg: await encodeJpeg(face.chip, 90), quality: face.quality.score });
  }
  await detector.dispose();
  return chips;
}

/** `faces` one-shot tracks cycling through the chips, as FaceDetected events of camera "bench". */
export function detections(bus: Bus, chips: readonly Chip[], faces: number): EnvelopeOf<"FaceDetected">[] {
  const envelopes: EnvelopeOf<"FaceDetected">[] = [];
  for (let i = 0; i < faces; i++) {
    const c = chips[i % chips.length];
    if (!c) break;
    envelopes.push(
      bus.envelope("FaceDetected", {
        cameraId: "bench",
        trackId: `t${i}`,
        shot: 1,
        frameNo: i,
        frameAt: new Date().toISOString(),
        frameSize: { width: 250, height: 250 },
        box: { x: 70, y: 70, width: 110, height: 110 },
        keypoints: [
          [100, 110],
          [150, 110],
        ],
        detectorScore: 0.9,
        quality: { score: c.quality, faceSize: 110, eyeDistance: 50, sharpness: 100, yaw: 0, pitch: 0, roll: 0 },
        crop: { kind: "inline", contentType: "image/jpeg", base64: c.jpeg.toString("base64") },
      }),
    );
  }
  return envelopes;
}

/**
 * Starts `replicas` recognizer processes with `env` on top of this one's (quiet, no health port) and waits until
 * every one pulls from the `recognizers` work queue (that many waiting pull requests).
 */
export async function startRecognizers(
  bus: Bus,
  replicas: number,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ChildProcess[]> {
  const procs: ChildProcess[] = [];
  for (let i = 0; i < replicas; i++) {
    procs.push(
      spawn(process.execPath, ["--import", "tsx", join(repoRoot(), "services/recognizer/src/main.ts")], {
        env: { ...process.env, HEALTH_PORT: "0", LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "ignore", "inherit"],
      }),
    );
  }
  await waitFor(async () => (await bus.jsm.consumers.info("DETECTIONS", "recognizers")).num_waiting >= replicas, {
    timeoutMs,
    message: "recognizers pulling",
  });
  return procs;
}

/** SIGTERM to each process, then waits until all have exited. */
export async function stopAll(procs: readonly ChildProcess[]): Promise<void> {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
}
