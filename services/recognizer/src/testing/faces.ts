/**
 * The tests that drive a real recognizer (this service's, the CLI's erasure test): the recognizer they drive, and
 * what the CLI and the camera publish to it, made from real photos. Exported as `@persona/service-recognizer/testing`.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import type { BlobRef, ChipAlignment, EnvelopeOf } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { type NatsServerHandle, Teardown, lfwSkipReason, startNatsServer } from "@persona/testing";
import {
  type AlignedDetection,
  DEFAULT_EMBEDDER_MODEL,
  FaceDetector,
  embedderSpec,
  encodeJpeg,
  keypointsToArray,
  resolveModelPath,
} from "@persona/vision";
import { configSchema } from "../config.ts";
import { type RunningRecognizer, startRecognizer } from "../recognizer.ts";

/** Why a test driving a real recognizer (its default embedder, on LFW photos) cannot run here, or undefined. */
export const recognizerSkipReason = (): string | undefined =>
  lfwSkipReason(resolveModelPath(embedderSpec(DEFAULT_EMBEDDER_MODEL).file));

/** A nats-server, a bus on it as the recognizer, a face detector for the test's own chips, and the real recognizer. */
export interface RecognizerWorld {
  server: NatsServerHandle;
  bus: Bus;
  detector: FaceDetector;
  recognizer: RunningRecognizer;
  /** Stops the recognizer and starts a fresh one with the same config (its gallery replayed from the stream). */
  restartRecognizer(): Promise<RunningRecognizer>;
}

/** A `RecognizerWorld`, the recognizer configured with `config` (its environment variables), released after the test. */
export async function startRecognizerWorld(
  t: Pick<TestContext, "after">,
  config: Record<string, string | number | undefined>,
  log: Logger,
): Promise<RecognizerWorld> {
  const started = new Teardown();
  t.after(() => started.run());
  const server = started.use(await startNatsServer());
  const bus = started.use(await testBus(server.url, "recognizer"));
  const detector = started.use(await FaceDetector.create());
  const settings = configSchema.parse(config);
  const world: RecognizerWorld = {
    server,
    bus,
    detector,
    recognizer: await startRecognizer(bus, settings, log),
    async restartRecognizer() {
      await world.recognizer.stop();
      world.recognizer = await startRecognizer(bus, settings, log);
      return world.recognizer;
    },
  };
  started.after(() => world.recognizer.stop()); // the one running then
  return world;
}

/** A photo file put in the `photos` bucket as `<personId>/<sha256>.jpg`, where an enrollment command points. */
export async function uploadPhoto(bus: Bus, personId: string, file: string): Promise<BlobRef> {
  const bytes = readFileSync(file);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const key = `${personId}/${sha256}.jpg`;
  await (await bus.objectStore("photos")).putBlob({ name: key }, bytes);
  return { bucket: "photos", key, contentType: "image/jpeg", size: bytes.length, sha256 };
}

/** An `EnrollPerson` command as the CLI sends it (requested by "test"; a new person with no sound unless told). */
export function enrollPerson(
  bus: Bus,
  a: { personId: string; name: string; photos: BlobRef[]; description?: string; existing?: boolean; allowDuplicate?: boolean },
): EnvelopeOf<"EnrollPerson"> {
  return bus.envelope("EnrollPerson", {
    requestId: randomUUID(),
    personId: a.personId,
    existing: a.existing ?? false,
    name: a.name,
    description: a.description ?? "",
    photos: a.photos,
    sound: null,
    source: "cli",
    importKey: null,
    requestedBy: "test",
    ...(a.allowDuplicate ? { allowDuplicate: a.allowDuplicate } : {}),
  });
}

/**
 * The `FaceDetected` a camera publishes for one aligned face of a frame: its box, keypoints and quality (head angles
 * 0), the chip as an inline JPEG (quality 90), and the chip's alignment when given.
 */
export async function faceDetected(
  bus: Bus,
  a: {
    cameraId: string;
    trackId: string;
    shot: number;
    frameNo: number;
    frame: { width: number; height: number };
    face: AlignedDetection;
    alignment?: ChipAlignment;
  },
): Promise<EnvelopeOf<"FaceDetected">> {
  const { face } = a;
  const jpeg = await encodeJpeg(face.chip, 90);
  return bus.envelope("FaceDetected", {
    cameraId: a.cameraId,
    trackId: a.trackId,
    shot: a.shot,
    frameNo: a.frameNo,
    frameAt: new Date().toISOString(),
    frameSize: { width: a.frame.width, height: a.frame.height },
    box: face.box,
    keypoints: keypointsToArray(face.keypoints).map((p) => [p.x, p.y] as [number, number]),
    detectorScore: face.score,
    quality: {
      score: face.quality.score,
      faceSize: face.quality.faceSize,
      eyeDistance: face.quality.eyeDistance,
      sharpness: face.quality.sharpness,
      yaw: 0,
      pitch: 0,
      roll: 0,
    },
    crop: { kind: "inline", contentType: "image/jpeg", base64: jpeg.toString("base64") },
    ...(a.alignment ? { alignment: a.alignment } : {}),
  });
}

/** The `FaceTrackEnded` of a track of `shots` shots (10 frames each) that left the view now, after 5 s. */
export function faceTrackEnded(bus: Bus, cameraId: string, trackId: string, shots: number): EnvelopeOf<"FaceTrackEnded"> {
  return bus.envelope("FaceTrackEnded", {
    cameraId,
    trackId,
    startedAt: new Date(Date.now() - 5000).toISOString(),
    endedAt: new Date().toISOString(),
    frames: shots * 10,
    shots,
    bestQuality: 0.8,
    reason: "left-view",
  });
}
