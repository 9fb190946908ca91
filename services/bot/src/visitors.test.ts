import assert from "node:assert/strict";
import { test } from "node:test";
import { type EnvelopeOf, makeEnvelope } from "@persona/contracts";
import {
  type LibraryEvent,
  type VisitorEvent,
  type VisitorSummaryData,
  applyVisitorEvent,
  emptyLibrary,
  emptyVisitors,
  evolve,
  openVisitors,
} from "@persona/library";
import {
  VISITOR_CALLBACK,
  actorOf,
  decidedText,
  findVisitor,
  lookupProblemText,
  namingProgress,
  olderVisitorsText,
  parseNaming,
  splitVisitorArgs,
  visitorCaption,
  visitorKeyboard,
  visitorLine,
  visitorsHeader,
} from "./visitors.ts";

const src = { source: "test" };
const A = "a1b2c3d4-0000-4000-8000-000000000001";
const A2 = "a1b2ffff-0000-4000-8000-000000000002";
const B = "b0000000-0000-4000-8000-000000000003";
const det = (n: number) => `d0000000-0000-4000-8000-00000000000${n}`;

const summary = (visitorId: string, over: Partial<VisitorSummaryData> = {}): VisitorSummaryData => ({
  visitorId,
  faces: 7,
  visits: 3,
  firstSeen: "2026-03-01T09:00:00.000Z",
  lastSeen: "2026-03-02T10:00:05.000Z",
  cameras: ["door", "gate"],
  bestCrops: [1, 2].map((n) => ({
    detectionId: det(n),
    cameraId: "gate",
    trackId: `t${n}`,
    quality: 0.9,
    seenAt: "2026-03-02T10:00:00.000Z",
    crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64: "/9j/" },
  })),
  absorbed: [],
  ...over,
});

const visitors = (...events: VisitorEvent[]) => {
  const s = emptyVisitors();
  for (const e of events) applyVisitorEvent(s, e);
  return s;
};
const clustered = (id: string, over: Partial<VisitorSummaryData> = {}) =>
  makeEnvelope("VisitorClustered", summary(id, over), src);

test("a visitor is found by the start of its id, in any case; short, odd, unknown and ambiguous prefixes are explained", () => {
  const s = visitors(clustered(A), clustered(A2), clustered(B));
  const one = findVisitor(s, "A1B2C3");
  assert.equal(one.kind === "one" && one.visitor.visitorId, A);
  assert.equal(findVisitor(s, A).kind, "one");
  assert.equal(findVisitor(s, "b000").kind, "one");

  const several = findVisitor(s, "a1b2");
  assert.equal(several.kind, "several");
  assert.match(
    lookupProblemText("a1b2", several as Exclude<typeof several, { kind: "one" }>, "UTC"),
    /^2 visitors start with "a1b2"; give more characters of the id:\n• a1b2c3d4 — 3 visits, 7 faces, door, gate, last seen 2 Mar 2026, 10:00:05 UTC\n• a1b2ffff/,
  );
  const none = findVisitor(s, "ffff");
  assert.equal(none.kind, "none");
  assert.equal(
    lookupProblemText("ffff", none as { kind: "none" }),
    'No visitor id starts with "ffff". /visitors lists the open visitors.',
  );
  for (const bad of ["a1b", "zzzz1234", "a1b2 c3", ""]) {
    const r = findVisitor(s, bad);
    assert.equal(r.kind, "invalid", bad);
    assert.match(lookupProblemText(bad, r as { kind: "invalid" }), /is not a visitor id: give at least the first 4 characters/);
  }
});

test("a prefix of a merged visitor points to the visitor that holds its faces now", () => {
  const s = visitors(clustered(A), clustered(B), makeEnvelope("VisitorUpdated", summary(A, { absorbed: [B] }), src));
  const r = findVisitor(s, "b0000000");
  assert.equal(r.kind, "merged");
  assert.equal(
    lookupProblemText("b0000000", r as Exclude<typeof r, { kind: "one" }>),
    "Visitor b0000000 was merged into visitor a1b2c3d4 (the same face); use a1b2c3d4.",
  );
});

test("command arguments: the id prefix, then the name or the reason", () => {
  assert.deepEqual(splitVisitorArgs("a1b2c3d4  Anna   Karenina "), { prefix: "a1b2c3d4", rest: "Anna   Karenina" });
  assert.deepEqual(splitVisitorArgs("a1b2c3d4"), { prefix: "a1b2c3d4", rest: "" });
  assert.deepEqual(splitVisitorArgs(""), { prefix: "", rest: "" });
});

test("naming: a new person's name, or =<name or id> for someone in the library; bad names are refused", () => {
  assert.deepEqual(parseNaming("  Анна   Каренина "), { ok: true, kind: "new", name: "Анна Каренина" });
  assert.deepEqual(parseNaming("= Colin Powell"), { ok: true, kind: "existing", query: "Colin Powell" });
  assert.deepEqual(parseNaming("=p-0123"), { ok: true, kind: "existing", query: "p-0123" });
  assert.equal(parseNaming("=").ok, false);
  assert.equal(parseNaming("   ").ok, false);
  assert.deepEqual(parseNaming("/ignore_visitor"), { ok: false, error: "A name that starts with / is a command, not a name." });
  assert.deepEqual(parseNaming("x".repeat(201)), { ok: false, error: "The name is longer than 200 characters." });
  assert.equal(parseNaming("x".repeat(200)).ok, true);
});

test("decided visitors: named ones cannot be named or ignored again, ignored ones can still be named", () => {
  const s = visitors(
    clustered(A),
    clustered(B),
    makeEnvelope(
      "VisitorNamed",
      { visitorId: A, personId: "p-1", existing: false, name: "Ann", by: "telegram:7" },
      { ...src, occurredAt: "2026-03-02T11:00:00Z" },
    ),
    makeEnvelope(
      "VisitorIgnored",
      { visitorId: B, by: "portal:bob", reason: "the postman" },
      { ...src, occurredAt: "2026-03-02T12:00:00Z" },
    ),
  );
  const a = s.visitors.get(A);
  const b = s.visitors.get(B);
  assert.ok(a && b);
  const named = "Visitor a1b2c3d4 was already named Ann (id p-1) by telegram:7 on 2 Mar 2026, 11:00:00 UTC. Nothing was changed.";
  assert.equal(decidedText(a, "name", "UTC"), named);
  assert.equal(decidedText(a, "ignore", "UTC"), named);
  assert.equal(
    decidedText(b, "ignore", "UTC"),
    "Visitor b0000000 was already ignored by portal:bob on 2 Mar 2026, 12:00:00 UTC (the postman).",
  );
  assert.equal(decidedText(b, "name", "UTC"), null);
  assert.equal(decidedText(s.visitors.get(A2) ?? { ...a, decision: null }, "name"), null);
  assert.match(visitorLine(a, "UTC"), / \[named\]$/);
});

test("the /visitors texts: the header, each visitor's caption and buttons, the older ones as lines", () => {
  const events = Array.from({ length: 12 }, (_, i) =>
    clustered(`c${String(i).padStart(7, "0")}-0000-4000-8000-000000000000`, {
      lastSeen: new Date(Date.parse("2026-03-02T10:00:00Z") + i * 60_000).toISOString(),
    }),
  );
  const s = visitors(...events);
  const open = openVisitors(s);
  assert.equal(open[0]?.visitorId.slice(0, 8), "c0000011", "most recent first");
  assert.match(visitorsHeader(s, open), /^12 open visitors: recurring unknown faces, most recent first \(the 10 most recent/);
  assert.equal(
    visitorCaption(open[0] as (typeof open)[0], "UTC"),
    [
      "👤 Visitor c0000011",
      "3 visits · 7 faces · cameras: door, gate",
      "last seen: 2 Mar 2026, 10:11:00 UTC",
      "first seen: 1 Mar 2026, 09:00:00 UTC",
      "/name_visitor c0000011 <name> · /ignore_visitor c0000011",
    ].join("\n"),
  );
  const older = olderVisitorsText(open, "UTC");
  assert.match(older ?? "", /^2 older open visitors:\n• c0000001 — .*\n• c0000000 — /);
  assert.equal(olderVisitorsText(open.slice(0, 10)), null);

  const kb = visitorKeyboard(open[0] as (typeof open)[0]);
  const [name, ignore] = kb.inline_keyboard[0] ?? [];
  assert.equal(name?.text, "Name");
  assert.equal(ignore?.text, "Ignore");
  for (const b of [name, ignore]) {
    assert.ok(Buffer.byteLength(b?.callback_data ?? "") <= 64);
    assert.equal(VISITOR_CALLBACK.exec(b?.callback_data ?? "")?.[2], open[0]?.visitorId);
  }

  const empty = visitors(clustered(A), makeEnvelope("VisitorIgnored", { visitorId: A, by: "x", reason: "" }, src));
  assert.match(visitorsHeader(empty, openVisitors(empty)), /^No open visitors \(0 named and 1 ignored are not shown\)\./);
});

test("the acting user: the Telegram user's id and username, or the chat", () => {
  assert.equal(actorOf({ id: 42, username: "alice" }, -100), "telegram:42 (@alice)");
  assert.equal(actorOf({ id: 42 }, -100), "telegram:42");
  assert.equal(actorOf(undefined, 7), "telegram:7");
});

test("naming progress counts the operator templates the trainer made from the visitor's best faces", () => {
  const lib = emptyLibrary();
  const by = "telegram:42";
  const progress = () => namingProgress(lib, "p-v", by, [det(1), det(2)]);
  assert.deepEqual(progress(), { person: null, added: 0, expected: 2, done: false });
  const apply = (e: LibraryEvent) => evolve(lib, e);
  apply(
    makeEnvelope(
      "PersonEnrolled",
      { personId: "p-v", name: "Ann", description: "", photos: [], sound: null, source: "visitor", importKey: null },
      src,
    ),
  );
  const template = (sightingId: string, who = by): EnvelopeOf<"FaceTemplateAdded"> =>
    makeEnvelope(
      "FaceTemplateAdded",
      {
        personId: "p-v",
        templateId: crypto.randomUUID(),
        embedding: { model: "m", dims: 1, base64: "AAAAAA==" },
        quality: { score: 0.9, faceSize: 100, eyeDistance: 40, sharpness: 100, yaw: 0, pitch: 0, roll: 0 },
        crop: null,
        origin: { kind: "operator", by: who, sightingId },
      },
      src,
    );
  apply(template(det(1)));
  apply(template(det(3))); // another face
  apply(template(det(2), "portal:bob")); // someone else's naming
  assert.deepEqual({ ...progress(), person: null }, { person: null, added: 1, expected: 2, done: false });
  apply(template(det(2)));
  const done = progress();
  assert.equal(done.person?.name, "Ann");
  assert.equal(done.added, 2);
  assert.equal(done.done, true);
});
