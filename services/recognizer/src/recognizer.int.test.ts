import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes } from "@persona/bus/testing";
import type { EnvelopeOf } from "@persona/contracts";
import { createLogger, datasetsDir } from "@persona/runtime";
import {
  enrollPerson,
  faceDetected,
  faceTrackEnded,
  recognizerSkipReason,
  startRecognizerWorld,
  uploadPhoto,
} from "@persona/service-recognizer/testing";
import { waitFor, lfwPhoto, Teardown } from "@persona/testing";
import {
  type FaceDetector,
  decodeImage,
  detectAndAlign,
  DEFAULT_EMBEDDER_MODEL,
  detectorChoice,
  embedderSpec,
  keypointAlignment,
} from "@persona/vision";
import type { LibraryGallery } from "@persona/recognition/gallery";
import type { RunningRecognizer } from "./recognizer.ts";

const missing = recognizerSkipReason();
const photo = lfwPhoto;

describe("recognizer against a real nats-server, real models, real LFW faces", { skip: missing }, () => {
  let bus: Bus;
  let detector: FaceDetector;
  let recognizer: RunningRecognizer;
  let gallery: LibraryGallery;
  const log = createLogger("recognizer-test", process.env.LOG_LEVEL ?? "silent");

  const upload = (file: string, personId: string) => uploadPhoto(bus, personId, file);

  const enroll = async (personId: string, name: string, files: string[], existing = false, allowDuplicate = false) => {
    const photos = await Promise.all(files.map((f) => upload(f, personId)));
    const env = enrollPerson(bus, { personId, name, photos, existing, allowDuplicate });
    await bus.publish(env);
    return waitFor(
      async () => {
        const answers = (await streamEnvelopes(bus, "LIBRARY")).filter((e) => e.causationId === env.id);
        return answers.filter((a) => a.type !== "PersonEnrolled").length === files.length ? answers : undefined;
      },
      { timeoutMs: 60_000, message: `enrollment of ${name} answered` },
    );
  };

  /** Aligned chips of the main face of each photo, as the camera would publish them. */
  const detections = async (cameraId: string, trackId: string, files: string[]) => {
    const out: EnvelopeOf<"FaceDetected">[] = [];
    for (const [i, f] of files.entries()) {
      const img = await decodeImage(f);
      const [face] = await detectAndAlign(img, { detector, template: embedderSpec(DEFAULT_EMBEDDER_MODEL).template });
      assert.ok(face, `a face in ${f}`);
      // aligned from the detector's keypoints, as the recognizer aligns (it counts chips aligned otherwise)
      const alignment = keypointAlignment(face.keypoints, embedderSpec(DEFAULT_EMBEDDER_MODEL).template);
      out.push(await faceDetected(bus, { cameraId, trackId, shot: i + 1, frameNo: i * 10, frame: img, face, alignment }));
    }
    return out;
  };

  const trackEnded = (cameraId: string, trackId: string, shots: number) => faceTrackEnded(bus, cameraId, trackId, shots);

  /** The track's TrackConcluded, once the recognizer has published it. */
  const conclusion = (trackId: string, o: { timeoutMs: number; message?: string }) =>
    waitFor(async () => (await streamEnvelopes(bus, "SIGHTINGS", "TrackConcluded")).find((e) => e.data.trackId === trackId), o);

  const started = new Teardown();
  before(async () => {
    // the real recognizer, in-process, with its documented defaults
    // (a short deadline for the lost-shot test; everything else at the documented defaults)
    ({ bus, detector, recognizer } = await startRecognizerWorld(started, { RECOGNIZER_MISSING_SHOTS_DEADLINE_MS: "3000" }, log));
    gallery = recognizer.gallery;
  });
  after(() => started.run());

  test("enrollment from one photo each: person enrolled, one template, the gallery follows", async () => {
    const aj = await enroll("angelina", "Angelina Jolie", [photo("Angelina_Jolie", 1)]);
    assert.deepEqual(aj.map((e) => e.type).sort(), ["FaceTemplateAdded", "PersonEnrolled"]);
    const ap = await enroll("pacino", "Аль Пачино", [photo("Al_Pacino", 1)]);
    assert.equal(ap.filter((e) => e.type === "FaceTemplateAdded").length, 1);
    await waitFor(() => gallery.gallery.personCount === 2, { message: "gallery holds both" });
    assert.equal(gallery.nameOf("pacino"), "Аль Пачино");
  });

  test("a person is not enrolled twice by accident: another person's photo or face is rejected duplicate-of them", async () => {
    await waitFor(() => gallery.gallery.personCount >= 2, { message: "the earlier enrollments applied" });
    const same = await enroll("angelina-again", "A. Jolie", [photo("Angelina_Jolie", 1)]);
    const r1 = same.find((a) => a.type === "EnrollmentRejected");
    assert.ok(r1?.type === "EnrollmentRejected", `answers: ${same.map((a) => a.type)}`);
    assert.equal(r1.data.reason, "duplicate-of");
    assert.deepEqual(r1.data.duplicateOf, { personId: "angelina", name: "Angelina Jolie", samePhoto: true, similarity: null });
    // another photo of her, under a new name: the face is hers
    const face = await enroll("angelina-2", "Angie", [photo("Angelina_Jolie", 8)]);
    const r2 = face.find((a) => a.type === "EnrollmentRejected");
    assert.ok(r2?.type === "EnrollmentRejected", `answers: ${face.map((a) => a.type)}`);
    assert.equal(r2.data.reason, "duplicate-of");
    assert.equal(r2.data.duplicateOf?.personId, "angelina");
    assert.equal(r2.data.duplicateOf?.samePhoto, false);
    assert.match(r2.data.message, /duplicate-of angelina \(Angelina Jolie\): the face matches their template at 0\.\d+/);
    assert.equal(gallery.library.people.has("angelina-2"), false);
    // the user insists
    const insisted = await enroll("angelina-2", "Angie", [photo("Angelina_Jolie", 8)], false, true);
    assert.deepEqual(insisted.map((a) => a.type).sort(), ["FaceTemplateAdded", "PersonEnrolled"]);
    // (two entries for one face make her unknown by the margin rule: the tests below need her once)
    await bus.publish(bus.envelope("PersonRemoved", { personId: "angelina-2", reason: "test duplicate", by: "test" }));
    await waitFor(() => !gallery.gallery.hasPerson("angelina-2"), { message: "the duplicate removed" });
    // a new photo of the same person is not a duplicate of herself
    const more = await enroll("pacino", "Аль Пачино", [photo("Al_Pacino", 2)], true);
    assert.deepEqual(
      more.map((a) => a.type),
      ["FaceTemplateAdded"],
    );
  });

  test("a photo with no face and a crowd photo are rejected with their reasons; nobody is enrolled", async () => {
    const crowd = join(datasetsDir(), "crowd", "ulfd_imgs_10.jpg");
    const answers = await enroll("crowd", "Crowd", [crowd]);
    assert.deepEqual(
      answers.map((a) => a.type),
      ["EnrollmentRejected"],
    );
    const r = answers[0];
    assert.ok(r?.type === "EnrollmentRejected");
    assert.equal(r.data.reason, "several-faces");
    assert.equal(gallery.library.people.has("crowd"), false);
  });

  test("an enrolled person's track is confirmed by agreeing shots and concluded with their name", async () => {
    const shots = await detections(
      "gate",
      "t-angelina",
      [2, 3, 4, 5].map((n) => photo("Angelina_Jolie", n)),
    );
    for (const s of shots) await bus.publish(s);
    await bus.publish(trackEnded("gate", "t-angelina", shots.length));
    const concluded = await conclusion("t-angelina", { timeoutMs: 60_000 });
    assert.ok(concluded.type === "TrackConcluded");
    assert.equal(concluded.data.outcome.kind, "recognized");
    assert.equal(concluded.data.outcome.kind === "recognized" && concluded.data.outcome.personId, "angelina");
    const outcomes = (await streamEnvelopes(bus, "SIGHTINGS")).filter(
      (e) => (e.type === "FaceRecognized" || e.type === "UnknownFaceSeen") && e.data.trackId === "t-angelina",
    );
    assert.equal(outcomes.length, shots.length, "exactly one outcome per detection");
    for (const o of outcomes) if (o.type === "FaceRecognized") assert.equal(o.data.personId, "angelina", "never a wrong name");
    assert.ok(outcomes.some((o) => o.type === "FaceRecognized" && o.data.decision === "confirmed"));
  });

  test("a stranger's track ends unknown and is never given a name", async () => {
    const shots = await detections(
      "gate",
      "t-stranger",
      [1, 2, 3].map((n) => photo("George_W_Bush", n)),
    );
    for (const s of shots) await bus.publish(s);
    await bus.publish(trackEnded("gate", "t-stranger", shots.length));
    const concluded = await conclusion("t-stranger", { timeoutMs: 60_000 });
    assert.ok(concluded.type === "TrackConcluded");
    assert.equal(concluded.data.outcome.kind, "unknown");
    const outcomes = (await streamEnvelopes(bus, "SIGHTINGS")).filter(
      (e) => e.type === "UnknownFaceSeen" && e.data.trackId === "t-stranger",
    );
    assert.equal(outcomes.length, 3);
    const dims = embedderSpec(DEFAULT_EMBEDDER_MODEL).dims;
    assert.ok(outcomes.every((o) => o.type === "UnknownFaceSeen" && o.data.embedding.dims === dims));
    // these chips were aligned from keypoints, as this recognizer (an ArcFace template has no landmark targets) aligns
    assert.equal(recognizer.alignment.own, detectorChoice().kind === "yunet" ? "keypoints5" : "keypoints");
    assert.equal(recognizer.alignment.mismatched.gate, undefined);
  });

  test("a track whose camera counted a shot that never arrived is concluded after the deadline with the shots that did", async () => {
    const shots = await detections(
      "gate",
      "t-lost",
      [1, 2].map((n) => photo("Angelina_Jolie", n)),
    );
    for (const s of shots) await bus.publish(s);
    // the camera counted 3 shots; the third was lost (NATS down when it was published)
    const ended = trackEnded("gate", "t-lost", 3);
    const t0 = Date.now();
    await bus.publish(ended);
    const concluded = await conclusion("t-lost", { timeoutMs: 30_000, message: "the track concludes without its third shot" });
    assert.ok(Date.now() - t0 >= 2500, "it waited for the missing shot first");
    assert.ok(concluded.type === "TrackConcluded");
    assert.equal(concluded.data.shots, 3);
    assert.equal(concluded.data.outcome.kind, "recognized", "named from the two shots that came");
  });

  test("a track whose FaceTrackEnded never comes is concluded once its camera restarted; a live camera's quiet track stays open", async () => {
    const status = (cameraId: string, s: "starting" | "live") =>
      bus.envelope("CameraStatusChanged", { cameraId, role: "desk", status: s, message: s, attempt: 0, source: "test" });
    // both cameras went live before their shots
    await bus.publish(status("killed", "live"));
    await bus.publish(status("quiet", "live"));
    await new Promise((r) => setTimeout(r, 20));
    const orphan = await detections(
      "killed",
      "t-orphan",
      [1, 2].map((n) => photo("Angelina_Jolie", n)),
    );
    const quiet = await detections(
      "quiet",
      "t-quiet",
      [3, 4].map((n) => photo("Angelina_Jolie", n)),
    );
    for (const s of [...orphan, ...quiet]) await bus.publish(s);
    // the first camera is kill -9ed (no FaceTrackEnded) and comes back: it says so
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await bus.publish(status("killed", "starting"));
    const concluded = await conclusion("t-orphan", { timeoutMs: 30_000, message: "the orphaned track concludes" });
    assert.ok(Date.now() - t0 >= 2000, "it was left alone for the deadline first (its FaceTrackEnded could still come)");
    assert.ok(concluded.type === "TrackConcluded");
    assert.equal(concluded.data.shots, 2, "counted with the shots that arrived");
    assert.equal(concluded.data.startedAt, orphan[0]?.data.frameAt, "spans its shots");
    assert.equal(concluded.data.endedAt, orphan[1]?.data.frameAt);
    assert.equal(concluded.data.outcome.kind, "recognized");
    // two more sweeps: the quiet camera's track (a person who sat still past the shot budget) is not ended for them
    await new Promise((r) => setTimeout(r, 2500));
    const all = await streamEnvelopes(bus, "SIGHTINGS");
    assert.equal(all.filter((e) => e.type === "TrackConcluded" && e.data.trackId === "t-quiet").length, 0);
    assert.equal(all.filter((e) => e.type === "TrackConcluded" && e.data.trackId === "t-orphan").length, 1, "concluded once");
  });

  test("a photo is a duplicate only for the model that made its template: another model's template does not block it", async () => {
    // a person enrolled under another model (published as that recognizer would): not searchable here
    const file = photo("Aaron_Eckhart", 1);
    const blob = await upload(file, "eckhart");
    await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("eckhart", "Aaron Eckhart", { photos: [blob] })));
    const old = bus.envelope("FaceTemplateAdded", {
      personId: "eckhart",
      templateId: crypto.randomUUID(),
      embedding: {
        model: "mobileface",
        dims: 4,
        base64: Buffer.from(new Float32Array([0.5, 0.5, 0.5, 0.5]).buffer).toString("base64"),
      },
      quality: { score: 0.9, faceSize: 120, eyeDistance: 50, sharpness: 100, yaw: 0, pitch: 0, roll: 0 },
      crop: null,
      origin: { kind: "enrollment", photo: blob },
    });
    await gallery.waitForSeq((await bus.publish(old)).seq);
    assert.equal(gallery.gallery.hasPerson("eckhart"), false);
    assert.deepEqual(
      gallery.peopleOnlyOtherModels().map((p) => [p.personId, p.models]),
      [["eckhart", ["mobileface"]]],
    );
    const [first] = await enroll("eckhart", "Aaron Eckhart", [file], true);
    assert.ok(first);
    assert.equal(first.type, "FaceTemplateAdded", JSON.stringify(first));
    assert.ok(first.type === "FaceTemplateAdded" && first.data.embedding.model === "fr_feature+flip");
    await waitFor(() => gallery.gallery.hasPerson("eckhart"), { message: "the gallery knows Eckhart" });
    assert.deepEqual(gallery.peopleOnlyOtherModels(), []);
    const [second] = await enroll("eckhart", "Aaron Eckhart", [file], true);
    assert.ok(second);
    assert.ok(second.type === "EnrollmentRejected" && second.data.reason === "duplicate", JSON.stringify(second));
  });

  test("removing a person makes the recognizer forget them at once", async () => {
    const removed = bus.envelope("PersonRemoved", { personId: "pacino", reason: "left", by: "test" });
    const { seq } = await bus.publish(removed);
    await gallery.waitForSeq(seq);
    assert.equal(gallery.gallery.hasPerson("pacino"), false);
    assert.equal(gallery.gallery.hasPerson("angelina"), true);
  });
});
