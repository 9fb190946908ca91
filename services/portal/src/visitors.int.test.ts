import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { personEnrolled } from "@persona/bus/testing";
import { encodeEmbedding } from "@persona/library";
import { createLogger } from "@persona/runtime";
import {
  Embedder,
  FaceDetector,
  cosineSimilarity,
  decodeImage,
  detectAndAlign,
  embedderSpec,
  encodeJpeg,
  resolveModelPath,
} from "@persona/vision";
import { type Socket, io } from "socket.io-client";
import type { z } from "zod";
import { openSetThreshold } from "./alerts/ignoredVisitors.ts";
import { rebuildProjections } from "./projections/rebuild.ts";
import { decisionId } from "./projections/visitors.ts";
import type { Visitor } from "./http/schemas.ts";
import { QUALITY, type Client, type Harness, call, startHarness, startReplica, until } from "./testSupport.ts";
import { lfwSkipReason, lfwPhoto } from "@persona/testing";

// Visitors in the portal against a real nats-server, a real SQLite store and real faces: LFW photos detected,
// aligned and embedded with dlib-resnet29 as the recognizer does. The trainer's events (VisitorClustered/Updated)
// are published as the trainer publishes them; the portal's own answers (VisitorNamed/Ignored) go through its API.

const skip = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));
const MODEL = "dlib-resnet29";
const photo = lfwPhoto;

interface Face {
  person: string;
  n: number;
  jpeg: Buffer;
  vector: Float32Array;
}

/** A visitor as the API answers it (the schema the OpenAPI document is made from). */
type VisitorBody = z.infer<typeof Visitor>;
interface Decided {
  published: { id: string; type: string; data: Record<string, unknown> };
  visitor: VisitorBody | null;
}
interface AlertBody {
  kind: string;
  cameraId: string | null;
  trackId: string | null;
}

let h: Harness;
let detector: FaceDetector;
let embedder: Embedder;
let admin: Client;
let operator: Client;
let viewer: Client;
const base = () => h.portal.url;
const THRESHOLD = openSetThreshold(MODEL) as number;

async function face(person: string, n: number): Promise<Face | null> {
  if (!existsSync(photo(person, n))) return null;
  const [f] = await detectAndAlign(await decodeImage(photo(person, n)), { detector, template: embedder.template });
  if (!f) return null;
  const jpeg = await encodeJpeg(f.chip, 90);
  return { person, n, jpeg, vector: (await embedder.embed([await decodeImage(jpeg)]))[0] as Float32Array };
}

async function faces(person: string, count: number): Promise<Face[]> {
  const out: Face[] = [];
  for (let n = 1; n <= count; n++) {
    const f = await face(person, n);
    if (f) out.push(f);
  }
  return out;
}

const bestCrop = (f: Face, i: number, seenAt: string) => ({
  detectionId: randomUUID(),
  cameraId: "gate",
  trackId: `${f.person}-${i}`,
  quality: 0.9 - i / 100,
  seenAt,
  crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64: f.jpeg.toString("base64") },
  embedding: { model: MODEL, dims: f.vector.length, base64: encodeEmbedding(f.vector) },
});

/** A VisitorClustered (or Updated) as the trainer publishes it. */
async function publishVisitor(
  visitorId: string,
  best: Face[],
  o: { lastSeen: string; absorbed?: string[]; type?: "VisitorClustered" | "VisitorUpdated" },
) {
  const data = {
    visitorId,
    faces: best.length + 2,
    visits: best.length,
    firstSeen: "2026-03-02T08:00:00.000Z",
    lastSeen: o.lastSeen,
    cameras: ["gate"],
    bestCrops: best.map((f, i) => bestCrop(f, i, o.lastSeen)),
    absorbed: o.absorbed ?? [],
  };
  const ack = await h.bus.publish(
    o.type === "VisitorUpdated" ? h.bus.envelope("VisitorUpdated", data) : h.bus.envelope("VisitorClustered", data),
  );
  return { data, seq: ack.seq };
}

const unknownFace = (f: Face, cameraId: string, trackId: string) =>
  h.bus.envelope("UnknownFaceSeen", {
    cameraId,
    trackId,
    detectionId: randomUUID(),
    bestSimilarity: 0.6,
    bestPersonId: null,
    quality: QUALITY,
    frameAt: new Date().toISOString(),
    crop: { kind: "inline", contentType: "image/jpeg", base64: f.jpeg.toString("base64") },
    embedding: { model: MODEL, dims: f.vector.length, base64: encodeEmbedding(f.vector) },
  });
const concludedUnknown = (cameraId: string, trackId: string) =>
  h.bus.envelope("TrackConcluded", {
    cameraId,
    trackId,
    startedAt: new Date(Date.now() - 5000).toISOString(),
    endedAt: new Date().toISOString(),
    frames: 40,
    shots: 2,
    bestQuality: 0.8,
    outcome: { kind: "unknown", bestSimilarity: 0.6 },
  });

const visitors = async (q = "", client: Client = viewer) =>
  (await call<{ items: VisitorBody[]; total: number }>(base(), "GET", `/visitors${q}`, { client })).body;

// the people in the test: Tony Blair recurs and is ignored, George W. Bush recurs and is named, Gerhard Schroeder
// is a stranger at the gate
let tonyBest: Face[] = [];
let tonyProbe: Face;
let bush: Face[] = [];
let stranger: Face;
const tonyId = randomUUID();
const bushId = randomUUID();
const thirdId = randomUUID();

describe("unknown visitors in the portal", { skip }, () => {
  before(async () => {
    detector = await FaceDetector.create();
    embedder = await Embedder.create({ model: embedderSpec(MODEL), flip: false });
    // Tony Blair: three best faces, and a further photo of him as close to one of them as the recognizer would name
    // (the open-set threshold), which is how the portal must recognise him again
    const tony = await faces("Tony_Blair", 20);
    let pair: [Face, Face] | undefined;
    for (const a of tony) {
      for (const b of tony) {
        const s = cosineSimilarity(a.vector, b.vector);
        if (a !== b && s >= THRESHOLD && (!pair || s < cosineSimilarity(pair[0].vector, pair[1].vector))) pair = [a, b];
      }
    }
    assert.ok(pair, "two photos of Tony Blair at the open-set threshold among the first 20");
    tonyProbe = pair[0];
    tonyBest = [pair[1], ...tony.filter((f) => f !== pair[0] && f !== pair[1]).slice(0, 2)];
    bush = (await faces("George_W_Bush", 4)).slice(0, 3);
    stranger = (await face("Gerhard_Schroeder", 1)) as Face;
    assert.ok(stranger);
    const strangerBest = Math.max(...tonyBest.map((f) => cosineSimilarity(stranger.vector, f.vector)));
    assert.ok(strangerBest < THRESHOLD, `the stranger is not Tony Blair (${strangerBest.toFixed(3)})`);

    h = await startHarness();
    [admin, operator, viewer] = await h.clients(["olga", "operator"], ["victor", "viewer"]);
    const rules = {
      cameras: { gate: { role: "perimeter" } },
      rules: [
        { id: "unknown-perimeter", kind: "unknown-at-perimeter", severity: "medium", roles: ["perimeter"], minUnknownShots: 2 },
      ],
    };
    assert.equal((await call(base(), "PUT", "/rules", { client: admin, json: rules })).status, 200);
  });
  after(async () => {
    await h?.dispose();
    await detector?.dispose();
    await embedder?.dispose();
  });

  test("the trainer's visitors are listed newest first, paginated, with details and their best faces served", async () => {
    await publishVisitor(tonyId, tonyBest, { lastSeen: "2026-03-02T09:00:00.000Z" });
    await publishVisitor(bushId, bush, { lastSeen: "2026-03-02T10:00:00.000Z" });
    await publishVisitor(thirdId, bush.slice(0, 1), { lastSeen: "2026-03-02T08:30:00.000Z" });
    const all = await until("three visitors", async () => {
      const v = await visitors();
      return v.total === 3 && v;
    });
    assert.deepEqual(
      all.items.map((v) => v.visitorId),
      [bushId, tonyId, thirdId],
      "most recently seen first",
    );
    const page = await visitors("?limit=1&offset=1");
    assert.deepEqual([page.total, page.items.map((v) => v.visitorId)], [3, [tonyId]]);
    assert.deepEqual((await visitors("?status=named")).items, []);

    const one = await call<VisitorBody>(base(), "GET", `/visitors/${tonyId}`, { client: viewer });
    assert.equal(one.status, 200);
    assert.deepEqual(
      [one.body.status, one.body.visits, one.body.cameras, one.body.bestCrops.length, one.body.decision],
      ["open", 3, ["gate"], 3, null],
    );
    // the best faces' crops, read back from the summary's message
    for (const [i, c] of one.body.bestCrops.entries()) {
      assert.match(c.cropKey ?? "", new RegExp(`^visitors/${tonyId}/${c.detectionId}\\.jpg$`));
      const res = await fetch(`${base()}/api/v1/media/crops/${c.cropKey}`, { headers: { cookie: viewer.cookie } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/jpeg");
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), tonyBest[i]?.jpeg, `best face ${i}`);
    }
    const otherVisitorsFace = `visitors/${bushId}/${one.body.bestCrops[0]?.detectionId}.jpg`;
    const wrong = await fetch(`${base()}/api/v1/media/crops/${otherVisitorsFace}`, { headers: { cookie: viewer.cookie } });
    assert.equal(wrong.status, 404, "a face is served only under its own visitor");
    assert.equal((await fetch(`${base()}/api/v1/media/crops/${one.body.bestCrops[0]?.cropKey}`)).status, 401);

    assert.equal((await call(base(), "GET", `/visitors/${randomUUID()}`, { client: viewer })).status, 404);
    assert.equal((await call(base(), "GET", "/visitors/not-a-uuid", { client: viewer })).status, 400);
    assert.equal((await call(base(), "GET", "/visitors?status=maybe", { client: viewer })).status, 400);
    assert.equal((await call(base(), "GET", "/visitors")).status, 401);
  });

  test("naming and ignoring: roles, bad bodies, unknown visitor or person, decisions pushed, 409 once decided", async () => {
    const socket: Socket = io(base(), {
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { cookie: viewer.cookie },
    });
    const pushed: { visitorId: string; visitor: VisitorBody | null }[] = [];
    socket.on("visitor", (p: { visitorId: string; visitor: VisitorBody | null }) => pushed.push(p));
    await new Promise<void>((res, rej) => {
      socket.once("connect", () => res());
      socket.once("connect_error", rej);
    });
    try {
      // who may act
      assert.equal((await call(base(), "POST", `/visitors/${bushId}/name`, { json: { name: "X" } })).status, 401);
      const asViewer = await call(base(), "POST", `/visitors/${bushId}/name`, { client: viewer, json: { name: "X" } });
      assert.equal(asViewer.status, 403);
      assert.equal((await call(base(), "POST", `/visitors/${tonyId}/ignore`, { client: viewer, json: {} })).status, 403);
      // what they may send
      for (const json of [{}, { name: "  " }, { name: "A", personId: "p-1" }, { name: "A", extra: 1 }, { personId: "bad id!" }]) {
        const r = await call(base(), "POST", `/visitors/${bushId}/name`, { client: operator, json });
        assert.equal(r.status, 400, JSON.stringify(json));
      }
      assert.equal(
        (await call(base(), "POST", `/visitors/${tonyId}/ignore`, { client: operator, json: { reason: "x".repeat(1001) } }))
          .status,
        400,
      );
      assert.equal(
        (await call(base(), "POST", `/visitors/${randomUUID()}/name`, { client: operator, json: { name: "A" } })).status,
        404,
      );
      assert.equal((await call(base(), "POST", `/visitors/${randomUUID()}/ignore`, { client: operator, json: {} })).status, 404);
      const noPerson = await call(base(), "POST", `/visitors/${thirdId}/name`, {
        client: operator,
        json: { personId: "p-nobody" },
      });
      assert.equal(noPerson.status, 404);
      assert.equal((await call<VisitorBody>(base(), "GET", `/visitors/${bushId}`, { client: viewer })).body.status, "open");

      // name George W. Bush as a new person
      const named = await call<Decided>(base(), "POST", `/visitors/${bushId}/name`, {
        client: operator,
        json: { name: "George W. Bush", description: "Former president" },
      });
      assert.equal(named.status, 202, JSON.stringify(named.body));
      assert.equal(named.body.published.type, "VisitorNamed");
      const personId = named.body.published.data.personId as string;
      assert.match(personId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a fresh uuid");
      assert.deepEqual(
        { ...named.body.published.data, personId: "_" },
        {
          visitorId: bushId,
          personId: "_",
          existing: false,
          name: "George W. Bush",
          description: "Former president",
          by: "olga",
        },
        "the description rides on VisitorNamed: the trainer enrolls the person with it",
      );
      assert.deepEqual(
        [named.body.visitor?.status, named.body.visitor?.decision?.by, named.body.visitor?.decision?.personId],
        ["named", "olga", personId],
        "answered once the read model shows it",
      );
      // once decided: 409 for either decision
      const again = await call<{ error: { code: string } }>(base(), "POST", `/visitors/${bushId}/name`, {
        client: operator,
        json: { name: "Someone" },
      });
      assert.deepEqual([again.status, again.body.error.code], [409, "not-open"]);
      assert.equal((await call(base(), "POST", `/visitors/${bushId}/ignore`, { client: admin, json: {} })).status, 409);

      // the trainer enrolls the person (PersonEnrolled, source visitor) with the description it was given
      await h.bus.publish(
        h.bus.envelope(
          "PersonEnrolled",
          personEnrolled(personId, "George W. Bush", { description: "Former president", source: "visitor" }),
        ),
      );
      await until("the person listed", async () => {
        const p = await call<{ person: { description: string } }>(base(), "GET", `/people/${personId}`, { client: viewer });
        return p.status === 200 && p.body.person.description === "Former president";
      });

      // name another visitor as that existing person
      const toExisting = await call<Decided>(base(), "POST", `/visitors/${thirdId}/name`, { client: admin, json: { personId } });
      assert.equal(toExisting.status, 202);
      assert.deepEqual(toExisting.body.published.data, {
        visitorId: thirdId,
        personId,
        existing: true,
        name: "George W. Bush",
        by: "admin",
      });

      // ignore Tony Blair
      const ignored = await call<Decided>(base(), "POST", `/visitors/${tonyId}/ignore`, {
        client: operator,
        json: { reason: "the postman" },
      });
      assert.equal(ignored.status, 202);
      assert.deepEqual(ignored.body.published.data, { visitorId: tonyId, by: "olga", reason: "the postman" });
      assert.deepEqual([ignored.body.visitor?.status, ignored.body.visitor?.decision?.reason], ["ignored", "the postman"]);
      assert.equal(
        (await call(base(), "POST", `/visitors/${tonyId}/name`, { client: operator, json: { name: "T" } })).status,
        409,
      );

      assert.deepEqual((await visitors()).items, [], "nobody open");
      assert.deepEqual(
        (await visitors("?status=named")).items.map((v) => v.visitorId),
        [bushId, thirdId],
      );
      assert.deepEqual(
        (await visitors("?status=ignored")).items.map((v) => v.visitorId),
        [tonyId],
      );
      assert.equal((await visitors("?status=all")).total, 3);

      // every decision was pushed to the console, with the visitor as the API shows it
      const decisions = () => pushed.filter((p) => p.visitor?.status !== "open");
      await until("three pushes", async () => decisions().length >= 3);
      assert.deepEqual(
        decisions().map((p) => [p.visitorId, p.visitor?.status]),
        [
          [bushId, "named"],
          [thirdId, "named"],
          [tonyId, "ignored"],
        ],
      );
    } finally {
      socket.close();
    }
  });

  test("alerts: an ignored visitor's face at a perimeter camera raises nothing; a stranger still does", async () => {
    // Tony Blair, ignored, passes the gate (a photo that is not among his visitor's best faces): two unknown shots
    // and the track's unknown conclusion; then a stranger
    await h.bus.publish(unknownFace(tonyProbe, "gate", "tony-track"));
    await h.bus.publish(unknownFace(tonyProbe, "gate", "tony-track"));
    await h.bus.publish(concludedUnknown("gate", "tony-track"));
    await h.bus.publish(unknownFace(stranger, "gate", "stranger-track"));
    await h.bus.publish(unknownFace(stranger, "gate", "stranger-track"));
    const alerts = async () => (await call<{ items: AlertBody[] }>(base(), "GET", "/alerts", { client: viewer })).body.items;
    // the consumer takes the sightings in stream order: once the stranger's alert is there, Tony's track was judged
    await until("the stranger's alert", async () => (await alerts()).some((a) => a.trackId === "stranger-track"));
    const all = await alerts();
    assert.deepEqual(
      all.map((a) => [a.kind, a.cameraId, a.trackId]),
      [["unknown-at-perimeter", "gate", "stranger-track"]],
      "no alert for the ignored visitor's track",
    );
  });

  test("a decision published by another replica, not yet in the read model: the stream drops ours, 409", async () => {
    const id = randomUUID();
    await publishVisitor(id, bush.slice(0, 1), { lastSeen: "2026-03-02T10:20:00.000Z" });
    await until("listed", async () => (await call(base(), "GET", `/visitors/${id}`, { client: viewer })).status === 200);
    // a replica without the projections: its read model does not move while the other replica's decision is on the bus
    await h.portal.stop();
    const replica = await startReplica(h, { projections: false });
    try {
      const other = h.bus.envelope("VisitorIgnored", { visitorId: id, by: "admin", reason: "" }, { id: decisionId(id) });
      await h.bus.publish(other);
      const r = await call<{ error: { code: string; message: string } }>(replica.url, "POST", `/visitors/${id}/name`, {
        client: operator,
        json: { name: "Somebody" },
      });
      assert.deepEqual([r.status, r.body.error.code], [409, "not-open"], r.body.error.message);
    } finally {
      await replica.stop();
      await h.restart();
    }
    const v = await until("the first decision applied", async () => {
      const r = await call<VisitorBody>(base(), "GET", `/visitors/${id}`, { client: viewer });
      return r.body.status !== "open" && r.body;
    });
    assert.deepEqual([v.status, v.decision?.by], ["ignored", "admin"], "only the first decision is on the stream");
  });

  test("two decisions about one visitor at the same moment: one is published, the other answers 409", async () => {
    const id = randomUUID();
    await publishVisitor(id, bush.slice(0, 1), { lastSeen: "2026-03-02T10:30:00.000Z" });
    await until("listed", async () => (await call(base(), "GET", `/visitors/${id}`, { client: viewer })).status === 200);
    const answers = await Promise.all([
      call(base(), "POST", `/visitors/${id}/name`, { client: operator, json: { name: "Somebody" } }),
      call(base(), "POST", `/visitors/${id}/ignore`, { client: admin, json: {} }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 409]);
    const v = await call<VisitorBody>(base(), "GET", `/visitors/${id}`, { client: viewer });
    const winner = answers[0]?.status === 202 ? "named" : "ignored";
    assert.equal(v.body.status, winner, "the decision that answered 202 is the one kept");
  });

  test("a merge: the absorbed visitor leads to the survivor, which inherits its decision; a rebuild gives the same", async () => {
    const a = randomUUID();
    const b = randomUUID();
    await publishVisitor(a, bush.slice(1, 2), { lastSeen: "2026-03-02T11:00:00.000Z" });
    await publishVisitor(b, bush.slice(2, 3), { lastSeen: "2026-03-02T11:30:00.000Z" });
    await until("both listed", async () => (await visitors()).total === 2);
    assert.equal((await call(base(), "POST", `/visitors/${a}/ignore`, { client: operator, json: {} })).status, 202);
    await publishVisitor(b, bush.slice(1, 3), { lastSeen: "2026-03-02T12:00:00.000Z", absorbed: [a], type: "VisitorUpdated" });
    const survivor = await until("the merge", async () => {
      const r = await call<VisitorBody>(base(), "GET", `/visitors/${a}`, { client: viewer });
      return r.body.visitorId === b && r.body;
    });
    assert.deepEqual(
      [survivor.status, survivor.decision?.inheritedFrom, survivor.absorbed],
      ["ignored", a, [a]],
      "the absorbed visitor's id answers with the survivor, ignored as the absorbed one was",
    );
    assert.deepEqual((await visitors("?status=open")).items, []);
    assert.equal((await call(base(), "POST", `/visitors/${a}/name`, { client: operator, json: { name: "A" } })).status, 409);

    const before = await visitors("?status=all&limit=500");
    await h.portal.stop();
    const report = await rebuildProjections({
      bus: h.bus,
      store: h.store,
      log: createLogger("rebuild", "silent"),
      timeZone: "UTC",
      settleMs: 100,
    });
    assert.deepEqual(
      report.projections.find((p) => p.name === "visitors")?.documents,
      { visitors: 7, visitor_decisions: 7, visitor_tracks: 6 },
      "seven visitors (one absorbed), seven decisions (one inherited), the tracks of their best faces",
    );
    await h.restart();
    const after = await call<{ items: VisitorBody[] }>(base(), "GET", "/visitors?status=all&limit=500", { client: admin });
    assert.deepEqual(after.body.items, before.items, "the same visitors, statuses and decisions after the replay");
  });
});
