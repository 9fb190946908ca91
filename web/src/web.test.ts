import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiError, cropUrl, errorText, qs } from "./api.ts";
import type { AttendanceRow, LiveSighting, Visitor } from "./api.gen.ts";
import { mergeAttendance } from "./attendance.ts";
import { type Recognition, fromSighting, mergeRecognitions, presenceByCamera } from "./feed.ts";
import { formatDuration } from "./format.ts";
import { roleAtLeast } from "./roles.ts";
import { applyVisitorPush, sortVisitors } from "./visitors.ts";

const rec = (id: string): Recognition => ({
  id,
  cameraId: "c",
  personId: "p",
  name: "P",
  score: 0.9,
  at: "2026-01-01T00:00:00.000Z",
  decision: "confirmed",
  concluded: false,
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

  test("a pushed sighting's crop key and a listed one's are media URLs (keys encoded per segment); a pushed one may be probable", () => {
    // what the portal pushes for a FaceRecognized with an inline crop: the sighting, its crop under /media/crops
    const pushed: LiveSighting = {
      id: "d",
      cameraId: "c",
      trackId: "t",
      personId: "p",
      name: "Ann",
      decision: "recognized",
      recognition: "confirmed",
      concluded: null,
      score: 0.91,
      at: "2026-01-01T00:00:00.000Z",
      cropKey: "inline/d.jpg",
      probable: false,
    };
    const card = fromSighting(pushed);
    assert.equal(card?.cropSrc, "/api/v1/media/crops/inline/d.jpg");
    assert.equal(card?.id, "d");
    assert.equal(card?.at, "2026-01-01T00:00:00.000Z");
    assert.equal(card?.decision, "confirmed");
    assert.equal(fromSighting({ ...pushed, probable: true })?.decision, "probable");
    assert.equal(fromSighting({ ...pushed, cropKey: "cam 1/x.jpg" })?.cropSrc, "/api/v1/media/crops/cam%201/x.jpg");
    assert.equal(
      fromSighting({ ...pushed, decision: "unknown", personId: null, name: null }),
      null,
      "unknown faces are no cards",
    );
    const s = {
      id: "s1",
      cameraId: "c",
      trackId: "t",
      score: 0.9,
      at: "2026-01-01T00:00:00.000Z",
      recognition: "confirmed" as const,
      concluded: null,
    };
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

const visitor = (visitorId: string, lastSeen: string, status: Visitor["status"] = "open"): Visitor => ({
  visitorId,
  status,
  faces: 3,
  visits: 2,
  firstSeen: "2026-01-01T00:00:00.000Z",
  lastSeen,
  cameras: ["gate"],
  bestCrops: [],
  absorbed: [],
  decision: null,
  clusteredAt: lastSeen,
  updatedAt: lastSeen,
});
const vids = (l: Visitor[]) => l.map((v) => v.visitorId);

describe("the visitors list", () => {
  const t = (h: number) => `2026-01-01T${String(h).padStart(2, "0")}:00:00.000Z`;
  const list = [visitor("b", t(9)), visitor("a", t(8))];

  test("most recently seen first, ties by id", () => {
    assert.deepEqual(vids(sortVisitors([visitor("a", t(8)), visitor("c", t(9)), visitor("b", t(9))])), ["b", "c", "a"]);
  });

  test("a new or seen-again visitor is added or moved to its place; the total follows", () => {
    const added = applyVisitorPush(list, { visitorId: "c", visitor: visitor("c", t(10)), removed: [] }, "open");
    assert.deepEqual([vids(added.list), added.delta], [["c", "b", "a"], 1]);
    const moved = applyVisitorPush(list, { visitorId: "a", visitor: visitor("a", t(11)), removed: [] }, "open");
    assert.deepEqual([vids(moved.list), moved.delta], [["a", "b"], 0]);
  });

  test("a decided visitor leaves the open list and joins the list of its status", () => {
    const ignored = { visitorId: "b", visitor: visitor("b", t(9), "ignored"), removed: [] };
    assert.deepEqual(vids(applyVisitorPush(list, ignored, "open").list), ["a"]);
    assert.equal(applyVisitorPush(list, ignored, "open").delta, -1);
    assert.deepEqual(vids(applyVisitorPush([], ignored, "ignored").list), ["b"]);
    assert.deepEqual(vids(applyVisitorPush([], ignored, "named").list), []);
  });

  test("a merge: the absorbed visitors go, the survivor stays; a visitor no longer listed goes", () => {
    const merged = applyVisitorPush(list, { visitorId: "b", visitor: visitor("b", t(12)), removed: ["a"] }, "open");
    assert.deepEqual([vids(merged.list), merged.delta], [["b"], -1]);
    assert.deepEqual(vids(applyVisitorPush(list, { visitorId: "a", visitor: null, removed: [] }, "open").list), ["b"]);
  });
});

describe("the attendance table", () => {
  const row = (
    personId: string,
    firstSeen: string,
    lastSeen: string,
    secondsInView: number,
    day = "2026-01-01",
  ): AttendanceRow => ({
    personId,
    name: personId.toUpperCase(),
    day,
    firstSeen: `${day}T${firstSeen}:00.000Z`,
    lastSeen: `${day}T${lastSeen}:00.000Z`,
    secondsInView,
  });
  const loaded = [row("a", "08:00", "09:00", 600), row("b", "09:00", "09:30", 300)];
  const people = (l: AttendanceRow[]) => l.map((r) => `${r.personId}:${r.secondsInView}`);

  test("a pushed row replaces the person's older row or is added, first seen first; other days' rows are not shown", () => {
    assert.deepEqual(people(mergeAttendance(loaded, [row("b", "09:00", "10:00", 900)], "2026-01-01")), ["a:600", "b:900"]);
    assert.deepEqual(people(mergeAttendance(loaded, [row("c", "07:00", "07:10", 60)], "2026-01-01")), ["c:60", "a:600", "b:300"]);
    assert.deepEqual(people(mergeAttendance(loaded, [row("c", "07:00", "07:10", 60, "2026-01-02")], "2026-01-01")), [
      "a:600",
      "b:300",
    ]);
  });

  test("a pushed row older than the loaded one (pushed before the load answered) does not undo it", () => {
    assert.deepEqual(people(mergeAttendance(loaded, [row("a", "08:00", "08:30", 300)], "2026-01-01")), ["a:600", "b:300"]);
    assert.deepEqual(people(mergeAttendance([], loaded, "2026-01-01")), ["a:600", "b:300"]);
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
