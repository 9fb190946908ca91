import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import type { AnyEnvelope } from "@persona/contracts";
import {
  type Client,
  type Harness,
  call,
  login,
  recognizedData,
  startHarness,
  startReplica,
  unknownData,
  until,
} from "./testSupport.ts";

/**
 * Sessions end to end through the portal (real nats-server, real SQLite): a weekly class and an exam scheduled over
 * the API, a CSV roster, sightings published on SIGHTINGS at the frame times of an injected clock, and the views,
 * corrections, exam alerts, reports and a rebuild by a second portal on the same streams.
 */

const T = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00.000Z`);
let now = T("08:00");
const clock = () => now;

const photo = (personId: string) => ({
  bucket: "photos",
  key: `${personId}/${"a".repeat(64)}.jpg`,
  contentType: "image/jpeg",
  size: 10,
  sha256: "a".repeat(64),
});

async function enroll(bus: Bus, personId: string, name: string): Promise<number> {
  const env = bus.envelope("PersonEnrolled", {
    personId,
    name,
    description: "",
    photos: [photo(personId)],
    sound: null,
    source: "cli",
    importKey: null,
  });
  return (await bus.publish(env)).seq;
}

let detection = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++detection).padStart(12, "0")}`;

async function seen(bus: Bus, camera: string, track: string, personId: string | null, hhmm: string, probable = false) {
  const frameAt = new Date(T(hhmm)).toISOString();
  const env =
    personId === null
      ? bus.envelope("UnknownFaceSeen", { ...unknownData(camera, track, uuid()), frameAt })
      : bus.envelope("FaceRecognized", {
          ...recognizedData(camera, track, personId, personId, uuid()),
          frameAt,
          ...(probable ? { decision: "probable" as const, similarity: 0.6 } : {}),
        });
  return (await bus.publish(env)).seq;
}

async function envelopes(bus: Bus, stream: string, filter: string): Promise<AnyEnvelope[]> {
  const out: AnyEnvelope[] = [];
  await bus.replay({ stream, filter }, (d) => {
    if (d.env) out.push(d.env);
  });
  return out;
}

const ids = (rows: { personId: string }[]) => rows.map((r) => r.personId);

describe("sessions through the portal", () => {
  let h: Harness;
  let base: string;
  let operator: Client;
  let viewer: Client;

  before(async () => {
    h = await startHarness({ clock, sessionsTickMs: 0 });
    base = h.portal.url;
    [, operator, viewer] = await h.clients(["proctor", "operator"], ["watcher", "viewer"]);
    for (const [id, name] of [
      ["ann", "Ann Lee"],
      ["bob", "Bob Ray"],
      ["cat", "Cat Poe"],
      ["dan1", "Dan Brown"],
      ["dan2", "Dan Brown"],
      ["eve", "Eve Planted"],
      ["fay", "Fay Late-Joiner"],
    ]) {
      const seq = await enroll(h.bus, id as string, name as string);
      await h.portal.sessions.waitFor("LIBRARY", seq);
    }
  });
  after(async () => {
    await h?.dispose();
  });

  test("groups: roles are checked; a bad roster CSV is a 400 with an error per bad line and changes nothing; a good one applies", async () => {
    assert.equal((await call(base, "POST", "/groups", { client: viewer, json: { name: "Course A" } })).status, 403);
    const g = await call<{ groupId: string }>(base, "POST", "/groups", {
      client: operator,
      json: { groupId: "course", name: "Course A", kind: "course" },
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    const dup = await call<{ error: { code: string } }>(base, "POST", "/groups", {
      client: operator,
      json: { name: " course  a " },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "duplicate-name");

    const bad = "person,group\nAnn Lee,Course A\nNo Such Person,Course A\nDan Brown,Course A\nBob Ray,Course Z\n";
    const r = await call<{ error: { code: string; message: string; details: { errors: { line: number; message: string }[] } } }>(
      base,
      "POST",
      "/groups/import",
      { client: operator, json: { csv: bad } },
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, "roster-invalid");
    assert.deepEqual(
      r.body.error.details.errors.map((e) => e.line),
      [3, 4, 5],
    );
    assert.match(r.body.error.details.errors[1]?.message ?? "", /dan1.*dan2|ambiguous/i);
    assert.match(r.body.error.details.errors[2]?.message ?? "", /Course Z/);
    const unchanged = await call<{ members: unknown[] }>(base, "GET", "/groups/course", { client: viewer });
    assert.deepEqual(unchanged.body.members, [], "nothing half-applied");

    const good = "Ann Lee;Course A\nbob;course\nCat Poe;Course A\ndan1;Course A\n";
    const dry = await call<{ applied: boolean; summary: { add: number } }>(base, "POST", "/groups/import", {
      client: operator,
      json: { csv: good, dryRun: true },
    });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual([dry.body.applied, dry.body.summary.add], [false, 4]);
    assert.deepEqual((await call<{ members: unknown[] }>(base, "GET", "/groups/course", { client: viewer })).body.members, []);
    const applied = await call<{ applied: boolean }>(base, "POST", "/groups/import", { client: operator, json: { csv: good } });
    assert.equal(applied.body.applied, true);
    const members = await call<{ members: { personId: string }[] }>(base, "GET", "/groups/course", { client: viewer });
    assert.deepEqual(ids(members.body.members).sort(), ["ann", "bob", "cat", "dan1"]);
  });

  test("sessions: a class and an exam scheduled; bad definitions are 4xx with the reason", async () => {
    const klass = {
      sessionId: "math",
      name: "Math",
      kind: "class",
      cameras: ["room1"],
      timeZone: "UTC",
      start: "09:00",
      end: "10:30",
      firstDate: "2026-03-02",
      recurrence: { kind: "weekly", days: [1], until: "2026-03-30" },
      exceptions: [],
      roster: { groups: ["course"], people: [] },
      graceMinutes: 10,
    };
    assert.equal((await call(base, "POST", "/sessions", { client: viewer, json: klass })).status, 403);
    const bad = await call<{ error: { code: string } }>(base, "POST", "/sessions", {
      client: operator,
      json: { ...klass, sessionId: "x", name: "X", end: "08:00" },
    });
    assert.deepEqual([bad.status, bad.body.error.code], [400, "end-before-start"]);
    const zone = await call<{ error: { code: string } }>(base, "POST", "/sessions", {
      client: operator,
      json: { ...klass, sessionId: "x", name: "X", timeZone: "Mars/Olympus" },
    });
    assert.deepEqual([zone.status, zone.body.error.code], [400, "unknown-time-zone"]);
    const s = await call(base, "POST", "/sessions", { client: operator, json: klass });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const exam = await call(base, "POST", "/sessions", {
      client: operator,
      json: {
        ...klass,
        sessionId: "final",
        name: "Final exam",
        kind: "exam",
        cameras: ["hall"],
        start: "11:00",
        end: "12:00",
        recurrence: { kind: "none" },
        roster: { groups: [], people: ["ann", "bob"] },
        graceMinutes: 5,
      },
    });
    assert.equal(exam.status, 201, JSON.stringify(exam.body));
    const occ = await call<{ items: { date: string }[] }>(
      base,
      "GET",
      "/sessions/math/occurrences?from=2026-03-01T00:00:00Z&to=2026-03-20T00:00:00Z",
      {
        client: viewer,
      },
    );
    assert.deepEqual(
      occ.body.items.map((o) => o.date),
      ["2026-03-02", "2026-03-09", "2026-03-16"],
    );
  });

  test("the class: present, late, absent, unexpected, probable only and unknown; corrections recorded with who; a negative published", async () => {
    const early = await seen(h.bus, "room1", "t-ann", "ann", "08:55");
    await h.portal.sessions.waitFor("SIGHTINGS", early);
    now = T("09:00");
    await h.portal.sessions.tick();
    // fay joins the group after the start: not expected by this occurrence
    const joined = await call(base, "POST", "/groups/course/members", { client: operator, json: { add: ["fay"] } });
    assert.equal(joined.status, 200);
    await seen(h.bus, "room1", "t-dan", "dan1", "09:02", true);
    await seen(h.bus, "room1", "t-eve", "eve", "09:05");
    await seen(h.bus, "room1", "u-1", null, "09:20");
    await seen(h.bus, "other-camera", "t-cat", "cat", "09:21");
    const last = await seen(h.bus, "room1", "t-bob", "bob", "09:25");
    await h.portal.sessions.waitFor("SIGHTINGS", last);
    now = T("10:31");
    await h.portal.sessions.tick();

    type Row = {
      personId: string;
      name: string | null;
      cropKey: string | null;
      photoKey: string | null;
      firstSeenAt: string | null;
    };
    type View = Record<"present" | "late" | "absent" | "unexpected" | "probableOnly" | "excused", Row[]> & {
      expected: string[];
      phase: string;
      started: boolean;
      unknown: { trackId: string }[];
      corrections: { by: string; action: string }[];
    };
    const v = (await call<View>(base, "GET", "/sessions/math/occurrences/2026-03-02", { client: viewer })).body;
    assert.deepEqual(v.expected, ["ann", "bob", "cat", "dan1"]);
    assert.equal(v.phase, "ended");
    assert.equal(v.started, true);
    assert.deepEqual(ids(v.present), ["ann"]);
    assert.deepEqual(ids(v.late), ["bob"]);
    assert.deepEqual(ids(v.absent), ["cat", "dan1"]);
    assert.deepEqual(ids(v.unexpected), ["eve"]);
    assert.deepEqual(ids(v.probableOnly), ["dan1"]);
    assert.deepEqual(
      v.unknown.map((u) => u.trackId),
      ["u-1"],
    );
    const ann = v.present[0] as Row;
    assert.equal(ann.name, "Ann Lee");
    assert.equal(ann.firstSeenAt, new Date(T("08:55")).toISOString());
    assert.match(ann.cropKey ?? "", /^inline\/.+\.jpg$/);
    assert.equal(ann.photoKey, photo("ann").key);

    const reject = await call<View>(base, "POST", "/sessions/math/occurrences/2026-03-02/corrections", {
      client: operator,
      json: { personId: "bob", action: "reject-recognition", trackId: "t-bob", reason: "not him" },
    });
    assert.equal(reject.status, 200, JSON.stringify(reject.body));
    assert.deepEqual(ids(reject.body.absent), ["bob", "cat", "dan1"]);
    assert.deepEqual(
      reject.body.corrections.map((c) => [c.action, c.by]),
      [["reject-recognition", "proctor"]],
    );
    const negative = await until("the negative on SESSIONS", async () => {
      const list = await envelopes(h.bus, "SESSIONS", "sessions.negative.bob.t-bob");
      return list.length > 0 ? list : null;
    });
    assert.deepEqual(
      negative.map((e) => [
        e.type,
        (e.data as { rejected: boolean; cameraId: string }).rejected,
        (e.data as { cameraId: string }).cameraId,
      ]),
      [["RecognitionRejected", true, "room1"]],
    );
    const excuse = await call<View>(base, "POST", "/sessions/math/occurrences/2026-03-02/corrections", {
      client: operator,
      json: { personId: "cat", action: "excuse" },
    });
    assert.deepEqual(ids(excuse.body.excused), ["cat"]);
    const undo = await call<View>(base, "POST", "/sessions/math/occurrences/2026-03-02/corrections", {
      client: operator,
      json: { personId: "bob", action: "undo" },
    });
    assert.deepEqual(ids(undo.body.late), ["bob"]);
    const nothing = await call<{ error: { code: string } }>(base, "POST", "/sessions/math/occurrences/2026-03-02/corrections", {
      client: operator,
      json: { personId: "bob", action: "undo" },
    });
    assert.deepEqual([nothing.status, nothing.body.error.code], [409, "nothing-to-undo"]);
    const noTrack = await call(base, "POST", "/sessions/math/occurrences/2026-03-02/corrections", {
      client: operator,
      json: { personId: "bob", action: "reject-recognition" },
    });
    assert.equal(noTrack.status, 400);
    assert.equal(
      (
        await call(base, "POST", "/sessions/math/occurrences/2026-03-03/corrections", {
          client: operator,
          json: { personId: "bob", action: "excuse" },
        })
      ).status,
      404,
    );

    const ended = await envelopes(h.bus, "SESSIONS", "sessions.occurrence.math.2026-03-02.ended");
    assert.equal(ended.length, 1);
    assert.deepEqual((ended[0] as AnyEnvelope & { data: { absent: string[] } }).data.absent, ["cat", "dan1"]);
    const started = await envelopes(h.bus, "SESSIONS", "sessions.occurrence.math.2026-03-02.started");
    assert.deepEqual(
      started.map((e) => (e.data as { roster: string[] }).roster),
      [["ann", "bob", "cat", "dan1"]],
      "one start record, with the roster of the start",
    );

    const csv = await call<string>(base, "GET", "/sessions/math/occurrences/2026-03-02/report.csv", { client: viewer });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
    const lines = csv.body.trim().split("\r\n");
    assert.equal(lines[0], "person_id,name,status,on_roster,first_seen,best_score,track_id,camera_id,probable_only,corrected_by");
    const status = Object.fromEntries(lines.slice(1).map((l) => [l.split(",")[0] || l.split(",")[6], l.split(",")[2]]));
    assert.deepEqual(status, {
      ann: "present",
      bob: "late",
      dan1: "absent",
      cat: "excused",
      eve: "unexpected",
      "u-1": "unknown",
    });
  });

  test("the exam: a person not on its roster and an unknown face raise exam alerts; verdicts and the identity report", async () => {
    now = T("11:00");
    await h.portal.sessions.tick();
    await seen(h.bus, "hall", "x-ann", "ann", "11:01");
    await seen(h.bus, "hall", "x-eve", "eve", "11:02");
    const last = await seen(h.bus, "hall", "x-unk", null, "11:03");
    await h.portal.sessions.waitFor("SIGHTINGS", last);
    const alerts = await until("two exam alerts", async () => {
      const r = await call<{ items: { kind: string; message: string; personId: string | null; trackId: string | null }[] }>(
        base,
        "GET",
        "/alerts",
        { client: viewer },
      );
      const exam = r.body.items.filter((a) => a.kind === "exam");
      return exam.length >= 2 ? exam : null;
    });
    assert.deepEqual(alerts.map((a) => [a.trackId, a.personId]).sort(), [
      ["x-eve", "eve"],
      ["x-unk", null],
    ]);
    assert.ok(alerts.some((a) => /Eve Planted \(not on the roster\)/.test(a.message)));
    const pending = await call<{ items: { personId: string; verdict: string; photoKey: string | null }[] }>(
      base,
      "GET",
      "/sessions/final/occurrences/2026-03-02/checks?pending=true",
      { client: viewer },
    );
    assert.deepEqual(ids(pending.body.items), ["ann", "eve"]);
    assert.equal(pending.body.items[0]?.photoKey, photo("ann").key);
    for (const [personId, trackId, verdict] of [
      ["ann", "x-ann", "confirmed"],
      ["eve", "x-eve", "flagged"],
    ]) {
      const r = await call(base, "POST", "/sessions/final/occurrences/2026-03-02/checks", {
        client: operator,
        json: { personId, trackId, verdict },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    assert.equal(
      (
        await call(base, "POST", "/sessions/math/occurrences/2026-03-02/checks", {
          client: operator,
          json: { personId: "ann", trackId: "t-ann", verdict: "confirmed" },
        })
      ).status,
      409,
      "verdicts are for exams",
    );
    now = T("12:01");
    await h.portal.sessions.tick();
    const report = await call<{
      candidates: { personId: string; verified: boolean; flagged: boolean; status: string; onRoster: boolean }[];
      summary: { expected: number; verified: number; flagged: number; absent: number; notOnRoster: number; pending: number };
      alerts: unknown[];
    }>(base, "GET", "/sessions/final/occurrences/2026-03-02/exam-report", { client: viewer });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual(
      report.body.candidates.map((c) => [c.personId, c.status, c.onRoster, c.verified, c.flagged]),
      [
        ["ann", "present", true, true, false],
        ["bob", "absent", true, false, false],
        ["eve", "present", false, false, true],
      ],
    );
    assert.deepEqual(report.body.summary, {
      expected: 2,
      seen: 2,
      verified: 1,
      flagged: 1,
      pending: 0,
      absent: 1,
      notOnRoster: 1,
    } as never);
    assert.equal(report.body.alerts.length, 2);
  });

  test("reports: rates across the series and a group over a period, as JSON and CSV; bad periods are 400", async () => {
    const rates = await call<{ items: { personId: string; rate: number | null; below: boolean }[]; occurrences: number }>(
      base,
      "GET",
      "/sessions/math/rates?from=2026-03-01&to=2026-03-07",
      { client: viewer },
    );
    assert.equal(rates.status, 200, JSON.stringify(rates.body));
    assert.equal(rates.body.occurrences, 1);
    assert.deepEqual(
      rates.body.items.map((r) => [r.personId, r.rate, r.below]),
      [
        ["ann", 1, false],
        ["bob", 1, false],
        ["cat", null, false],
        ["dan1", 0, true],
      ],
    );
    const group = await call<string>(base, "GET", "/groups/course/report.csv?from=2026-03-01&to=2026-03-07", { client: viewer });
    assert.equal(group.status, 200);
    assert.match(group.body, /^person_id,name,expected,attended,late,absent,excused,rate,below\r\n/);
    assert.match(group.body, /dan1,Dan Brown,1,0,0,1,0,0,yes/);
    const bad = await call(base, "GET", "/groups/course/report?from=2026-03-07&to=2026-03-01", { client: viewer });
    assert.equal(bad.status, 400);
    assert.equal((await call(base, "GET", "/groups/nope/report?from=2026-03-01&to=2026-03-07", { client: viewer })).status, 404);
    assert.equal((await call(base, "GET", "/sessions/math/rates?from=2026-13-01&to=2026-03-07", { client: viewer })).status, 400);
  });

  test("a rebuild (a second portal on the same streams) gives the same views and raises no alert twice", async () => {
    const paths = [
      "/sessions/math/occurrences/2026-03-02",
      "/sessions/final/occurrences/2026-03-02/exam-report",
      "/sessions/final/occurrences/2026-03-02/check-in",
      "/groups/course/report?from=2026-03-01&to=2026-03-07",
    ];
    const before = await Promise.all(paths.map((p) => call(base, "GET", p, { client: viewer })));
    const alertsBefore = (await envelopes(h.bus, "ALERTS", "alerts.*.raised")).length;
    const replica = await startReplica(h, { clock, sessionsTickMs: 0 });
    try {
      const other = await login(replica.url, "watcher", "watcher-password-1");
      const afterViews = await Promise.all(paths.map((p) => call(replica.url, "GET", p, { client: other })));
      for (let i = 0; i < paths.length; i++) assert.deepEqual(afterViews[i]?.body, before[i]?.body, paths[i]);
      await replica.sessions.tick();
      assert.equal((await envelopes(h.bus, "ALERTS", "alerts.*.raised")).length, alertsBefore);
      assert.equal((await envelopes(h.bus, "SESSIONS", "sessions.occurrence.*.*.started")).length, 2);
    } finally {
      await replica.stop();
    }
  });
});
