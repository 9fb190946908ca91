import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiError, cropUrl, errorText, qs } from "./api.ts";
import { type Recognition, fromEvent, fromSighting, imageSrc, mergeRecognitions, presenceByCamera } from "./feed.ts";
import { formatDuration } from "./format.ts";
import { roleAtLeast } from "./roles.ts";

const rec = (id: string): Recognition => ({
  id,
  cameraId: "c",
  personId: "p",
  name: "P",
  score: 0.9,
  at: "2026-01-01T00:00:00.000Z",
  decision: "confirmed",
  cropSrc: null,
});
const ids = (l: Recognition[]) => l.map((r) => r.id);

describe("the recognition feed", () => {
  test("merges newest first, keeps the first copy of an id, caps the length", () => {
    assert.deepEqual(ids(mergeRecognitions(10, [rec("c"), rec("b")], [rec("b"), rec("a")])), ["c", "b", "a"]);
    assert.deepEqual(ids(mergeRecognitions(2, [rec("c")], [rec("b"), rec("a")])), ["c", "b"]);
    assert.deepEqual(ids(mergeRecognitions(5)), []);
  });

  test("ten pushes in a row keep their order, newest first", () => {
    let list: Recognition[] = [rec("old")];
    for (let i = 1; i <= 10; i++) list = mergeRecognitions(50, [rec(`r${i}`)], list);
    assert.deepEqual(ids(list), ["r10", "r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "old"]);
  });

  test("an event's inline crop is a data URL, a stored one a media URL, a sighting's crop key a media URL", () => {
    const base = { cameraId: "c", trackId: "t", detectionId: "d", personId: "p", personName: "Ann", similarity: 0.91 };
    const inline = fromEvent({
      occurredAt: "2026-01-01T00:00:01.000Z",
      data: {
        ...base,
        decision: "confirmed",
        frameAt: "2026-01-01T00:00:00.000Z",
        crop: { kind: "inline", contentType: "image/jpeg", base64: "AAAA" },
      },
    });
    assert.equal(inline.cropSrc, "data:image/jpeg;base64,AAAA");
    assert.equal(inline.id, "d");
    assert.equal(inline.at, "2026-01-01T00:00:00.000Z");
    assert.equal(
      imageSrc({ kind: "stored", ref: { bucket: "crops", key: "cam 1/x.jpg", contentType: "image/jpeg" } }),
      "/api/v1/media/crops/cam%201/x.jpg",
    );
    const s = { id: "s1", cameraId: "c", trackId: "t", score: 0.9, at: "2026-01-01T00:00:00.000Z" };
    assert.equal(
      fromSighting({ ...s, personId: "p", name: null, decision: "recognized", cropKey: "inline/s1.jpg" })?.cropSrc,
      "/api/v1/media/crops/inline/s1.jpg",
    );
    assert.equal(fromSighting({ ...s, personId: "p", name: null, decision: "recognized", cropKey: null })?.name, "p");
    assert.equal(fromSighting({ ...s, personId: null, name: null, decision: "unknown", cropKey: null }), null);
  });

  test("presence grouped by camera", () => {
    const g = presenceByCamera([
      { cameraId: "a", trackId: "1" },
      { cameraId: "b", trackId: "2" },
      { cameraId: "a", trackId: "3" },
    ]);
    assert.deepEqual(Object.keys(g).sort(), ["a", "b"]);
    assert.deepEqual(
      g.a?.map((x) => x.trackId),
      ["1", "3"],
    );
  });
});

describe("helpers", () => {
  test("roles: viewer < operator < admin; nobody may do nothing", () => {
    assert.equal(roleAtLeast("admin", "operator"), true);
    assert.equal(roleAtLeast("operator", "operator"), true);
    assert.equal(roleAtLeast("viewer", "operator"), false);
    assert.equal(roleAtLeast("operator", "admin"), false);
    assert.equal(roleAtLeast(undefined, "viewer"), false);
  });

  test("query strings skip empty values; media keys are encoded per segment", () => {
    assert.equal(qs({ q: "ann lee", limit: 24, offset: 0, x: undefined, y: null, z: "" }), "?q=ann+lee&limit=24&offset=0");
    assert.equal(qs({}), "");
    assert.equal(cropUrl("a/b c.jpg"), "/api/v1/media/crops/a/b%20c.jpg");
  });

  test("error text: the portal's message, with zod issues listed", () => {
    const e = new ApiError(400, "validation", "invalid body", [{ path: ["rules", 0, "severity"], message: "Invalid option" }]);
    assert.equal(errorText(e), "invalid body\nrules.0.severity: Invalid option");
    assert.equal(errorText(new ApiError(403, "forbidden", "needs the admin role")), "needs the admin role");
    assert.equal(errorText(new Error("boom")), "boom");
  });

  test("durations", () => {
    assert.equal(formatDuration(45.4), "45 s");
    assert.equal(formatDuration(200), "3 min 20 s");
    assert.equal(formatDuration(3900), "1 h 5 min");
    assert.equal(formatDuration(-3), "0 s");
  });
});
