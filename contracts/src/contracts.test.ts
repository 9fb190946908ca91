import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AnyEnvelopeSchema,
  CONSUMERS,
  Messages,
  SERVICE_CONSUMERS,
  STREAMS,
  consumerDecl,
  makeEnvelope,
  subjectOf,
} from "./index.ts";

const quality = { score: 0.8, faceSize: 120, eyeDistance: 40, sharpness: 150, yaw: 3, pitch: -2, roll: 1 };

test("makeEnvelope fills id, time, correlation and validates data", () => {
  const env = makeEnvelope(
    "FaceTrackEnded",
    {
      cameraId: "gate-1",
      trackId: "t1",
      startedAt: "2026-01-01T10:00:00.000Z",
      endedAt: "2026-01-01T10:00:05.000Z",
      frames: 50,
      shots: 3,
      bestQuality: 0.7,
      reason: "left-view",
    },
    { source: "test" },
  );
  assert.equal(env.type, "FaceTrackEnded");
  assert.equal(env.version, 1);
  assert.equal(env.correlationId, env.id, "a root message correlates with itself");
  assert.equal(env.causationId, null);
  assert.equal(subjectOf(env), "detections.gate-1.track-ended");
  assert.deepEqual(AnyEnvelopeSchema.parse(JSON.parse(JSON.stringify(env))), env);
});

test("invalid data is rejected with a path to the bad field", () => {
  assert.throws(
    () => makeEnvelope("AlertAcknowledged", { alertId: "not-a-uuid", by: "x", note: "" }, { source: "test" }),
    (err: Error) => /alertId/.test(err.message),
  );
});

test("ids that become subject tokens cannot smuggle wildcards or dots", () => {
  for (const bad of ["a.b", "a*", ">", "a b", ""]) {
    assert.throws(() =>
      makeEnvelope(
        "CameraStatusChanged",
        { cameraId: bad, role: "entrance", status: "live", message: "", attempt: 0, source: "file" },
        { source: "test" },
      ),
    );
  }
});

test("the union rejects unknown types and wrong versions", () => {
  const env = makeEnvelope("AlertAcknowledged", { alertId: crypto.randomUUID(), by: "ann", note: "ok" }, { source: "t" });
  assert.throws(() => AnyEnvelopeSchema.parse({ ...env, type: "Nope" }));
  assert.throws(() => AnyEnvelopeSchema.parse({ ...env, version: 2 }));
});

test("every message's subject lies inside its stream's subjects and matches its own filter", () => {
  for (const def of Object.values(Messages)) {
    const stream = STREAMS.find((s) => s.name === def.stream);
    assert.ok(stream, `${def.type}: stream ${def.stream} declared`);
    const prefix = stream.subjects[0]?.replace(">", "") ?? "";
    assert.ok(def.filter.startsWith(prefix), `${def.type}: filter ${def.filter} within ${stream.subjects[0]}`);
  }
  for (const c of CONSUMERS)
    assert.ok(
      STREAMS.some((s) => s.name === c.stream),
      `consumer ${c.durable} stream exists`,
    );
});

test("every durable consumer of the system is declared once in the topology, on a declared stream", () => {
  const all = [...CONSUMERS, ...SERVICE_CONSUMERS];
  const names = all.map((c) => c.durable);
  assert.equal(new Set(names).size, names.length, `durable names are unique: ${names.join(", ")}`);
  for (const c of all)
    assert.ok(
      STREAMS.some((s) => s.name === c.stream),
      `consumer ${c.durable} stream exists`,
    );
  assert.deepEqual(consumerDecl("bot-alerts").filterSubject, "alerts.*.raised");
  assert.equal("owner" in consumerDecl("greeter"), false, "the owner is not part of the consumer's configuration");
  assert.throws(() => consumerDecl("nobody"), /no durable consumer "nobody" is declared/);
});

test("a detection carries an inline crop but never a frame-sized blob", () => {
  const big = Buffer.alloc(200 * 1024, 1).toString("base64");
  const data = {
    cameraId: "cam",
    trackId: "t",
    shot: 1,
    frameNo: 0,
    frameAt: new Date().toISOString(),
    frameSize: { width: 1280, height: 720 },
    box: { x: 1, y: 2, width: 50, height: 60 },
    keypoints: [
      [1, 2],
      [3, 4],
    ] as [number, number][],
    detectorScore: 0.9,
    quality,
    crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64: big },
  };
  assert.throws(() => makeEnvelope("FaceDetected", data, { source: "t" }));
  const small = { ...data, crop: { ...data.crop, base64: Buffer.alloc(20 * 1024, 1).toString("base64") } };
  assert.equal(makeEnvelope("FaceDetected", small, { source: "t" }).data.crop.kind, "inline");
});
