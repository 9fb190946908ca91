import assert from "node:assert/strict";
import { test } from "node:test";
import { type AnyEnvelope, makeEnvelope } from "@persona/contracts";
import { alertOf, blobsOf, commandNames, jsonMentions, sightingOf } from "./erasureMatch.ts";

const meta = { source: "test" };
const quality = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
const crop = { kind: "inline" as const, contentType: "image/jpeg" as const, base64: "AAAA" };
const stored = { bucket: "crops", key: "gate/t1.jpg", contentType: "image/jpeg", size: 3, sha256: "c".repeat(64) };

test("sightings name a person by recognition, by nearest match of an unknown face, or by the track's conclusion", () => {
  const at = "2026-03-01T10:00:00.000Z";
  const rec = makeEnvelope(
    "FaceRecognized",
    {
      cameraId: "gate",
      trackId: "t1",
      detectionId: crypto.randomUUID(),
      personId: "ann",
      personName: "Ann",
      similarity: 0.9,
      margin: 0.1,
      decision: "confirmed",
      votes: { agreeing: 1, total: 1 },
      quality,
      frameAt: at,
      crop,
      via: "embedding",
    },
    meta,
  );
  const unk = (best: string | null) =>
    makeEnvelope(
      "UnknownFaceSeen",
      {
        cameraId: "gate",
        trackId: "t2",
        detectionId: crypto.randomUUID(),
        bestSimilarity: 0.5,
        bestPersonId: best,
        quality,
        frameAt: at,
        crop: { kind: "stored", ref: stored },
        embedding: { model: "m", dims: 1, base64: "AAAAAA==" },
      },
      meta,
    );
  const con = (personId: string | null) =>
    makeEnvelope(
      "TrackConcluded",
      {
        cameraId: "gate",
        trackId: "t3",
        startedAt: at,
        endedAt: at,
        frames: 1,
        shots: 1,
        bestQuality: 0.5,
        outcome:
          personId === null
            ? { kind: "undecided", reason: "x" }
            : { kind: "recognized", personId, personName: "Ann", similarity: 0.9 },
      },
      meta,
    );
  assert.deepEqual(sightingOf(rec, "ann"), { track: "gate/t1", names: true });
  assert.deepEqual(sightingOf(rec, "bob"), { track: "gate/t1", names: false });
  assert.deepEqual(sightingOf(unk("ann"), "ann"), { track: "gate/t2", names: true });
  assert.deepEqual(sightingOf(unk(null), "ann"), { track: "gate/t2", names: false });
  assert.deepEqual(sightingOf(con("ann"), "ann"), { track: "gate/t3", names: true });
  assert.deepEqual(sightingOf(con(null), "ann"), { track: "gate/t3", names: false });
  assert.deepEqual(blobsOf(unk(null)), [stored]);
  assert.deepEqual(blobsOf(rec), []);
});

test("alerts about a person or on one of their tracks; commands about them; ids in JSON only as whole strings", () => {
  const alert = (personId: string | null, trackId: string | null): AnyEnvelope =>
    makeEnvelope(
      "AlertRaised",
      {
        alertId: crypto.randomUUID(),
        rule: "r",
        kind: "watchlisted",
        severity: "high",
        message: "m",
        cameraId: "gate",
        personId,
        trackId,
        sightingId: null,
        crop: null,
      },
      meta,
    );
  assert.equal(alertOf(alert("ann", null), "ann", new Set())?.names, true);
  assert.equal(alertOf(alert(null, "t1"), "ann", new Set(["gate/t1"]))?.names, true);
  assert.equal(alertOf(alert(null, "t1"), "ann", new Set())?.names, false);
  const remove = makeEnvelope("RemovePerson", { personId: "ann", reason: "r", requestedBy: "x", erase: true }, meta);
  assert.equal(commandNames(remove, "ann"), true);
  assert.equal(commandNames(remove, "an"), false);
  assert.equal(jsonMentions('{"tally":{"ann":{"votes":2}}}', "ann"), true);
  assert.equal(jsonMentions('{"name":"joanna"}', "ann"), false);
});
