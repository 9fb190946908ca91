import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { cameraLive, personEnrolled } from "@persona/bus/testing";
import { type Socket, io } from "socket.io-client";
import type { RunningPortal } from "./app.ts";
import { LIVE_EVENTS, LiveSighting } from "./http/schemas.ts";
import {
  CROP_BYTES,
  QUALITY,
  type Harness,
  call,
  inlineCrop,
  recognizedData,
  startHarness,
  startReplica,
  unknownData,
  until,
} from "./testSupport.ts";

let h: Harness;
let replica: RunningPortal;
const sockets: Socket[] = [];

async function connect(url: string, cookie: string): Promise<Socket> {
  const s = io(url, { transports: ["websocket"], reconnection: false, extraHeaders: { cookie } });
  sockets.push(s);
  await new Promise<void>((res, rej) => {
    s.once("connect", () => res());
    s.once("connect_error", rej);
  });
  return s;
}

before(async () => {
  h = await startHarness({ socketRecheckMs: 200 });
  // a second replica on the same NATS and store: its clients get the same events
  replica = await startReplica(h);
});
after(async () => {
  for (const s of sockets) s.close();
  await replica?.stop();
  await h?.dispose();
});

describe("socket.io push", () => {
  test("must hold: ten people recognised within one second reach every console, in order, none dropped", async (t) => {
    const a = await h.login();
    const clients = [
      await connect(h.portal.url, a.cookie),
      await connect(h.portal.url, a.cookie),
      await connect(replica.url, a.cookie),
    ];
    const got: { detectionId: string; at: number }[][] = clients.map(() => []);
    const presence: unknown[][] = clients.map(() => []);
    clients.forEach((c, i) => {
      c.on("sighting", (s: unknown) => {
        // a recognition (FaceRecognized) as GET /sightings lists it
        const sighting = LiveSighting.parse(s);
        if (sighting.decision === "recognized") got[i]?.push({ detectionId: sighting.id, at: Date.now() });
      });
      c.on("presence", (p: unknown) => presence[i]?.push(p));
    });
    const sent: { detectionId: string; at: number }[] = [];
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      const detectionId = randomUUID();
      sent.push({ detectionId, at: Date.now() });
      await h.bus.publish(
        h.bus.envelope("FaceRecognized", recognizedData(`cam${i % 3}`, `t${i}`, `p-${i}`, `Person ${i}`, detectionId)),
      );
    }
    const publishMs = Date.now() - start;
    assert.ok(publishMs < 1000, `published within one second (${publishMs} ms)`);
    await until("every client has ten", async () => got.every((g) => g.length >= 10), 5000);
    await new Promise((r) => setTimeout(r, 300));
    const order = sent.map((s) => s.detectionId);
    for (const [i, g] of got.entries()) {
      assert.deepEqual(
        g.map((x) => x.detectionId),
        order,
        `client ${i}: all ten, in publish order, no duplicates`,
      );
    }
    const latencies = got.flatMap((g) => g.map((x, k) => x.at - (sent[k]?.at ?? 0)));
    t.diagnostic(
      `published 10 in ${publishMs} ms; push latency max ${Math.max(...latencies)} ms, mean ${(latencies.reduce((s, x) => s + x, 0) / latencies.length).toFixed(1)} ms`,
    );
    await until("presence updates", async () => presence.every((p) => p.length > 0), 5000);
    const last = presence[0]?.at(-1) as { cameraId: string; items: { personId: string }[] };
    assert.match(last.cameraId, /^cam[012]$/);
    assert.ok(last.items.length > 0);
  });

  test("must hold: every push is the API's view of its thing (its schema, nothing more): no envelope, no embedding, no inline crop", async () => {
    const a = await h.login();
    const s = await connect(h.portal.url, a.cookie);
    const pushes: { event: string; payload: unknown }[] = [];
    s.onAny((event: string, payload: unknown) => pushes.push({ event, payload }));
    const api = async <T>(path: string) => {
      const r = await call<T>(h.portal.url, "GET", path, { client: a });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const pushed = (event: string, ok: (p: Record<string, unknown>) => boolean = () => true) =>
      until(`a ${event} push`, async () => pushes.find((x) => x.event === event && ok(x.payload as Record<string, unknown>)));

    // the library: a person enrolled (LIBRARY), a camera (SYSTEM)
    const personId = "p-live";
    await h.bus.publish(h.bus.envelope("PersonEnrolled", personEnrolled(personId, "Live Person", { source: "portal" })));
    const enrolled = await pushed("person", (p) => p.personId === personId);
    assert.deepEqual(enrolled.payload, {
      personId,
      change: "enrolled",
      person: (await api<{ person: unknown }>(`/people/${personId}`)).person,
    });
    await h.bus.publish(
      h.bus.envelope(
        "CameraStatusChanged",
        cameraLive("gate-live", { role: "perimeter", message: "ok", source: "rtsp://secret@camera" }),
      ),
    );
    const camera = await pushed("camera", (p) => p.cameraId === "gate-live");
    assert.deepEqual(Object.keys(camera.payload as object).sort(), ["cameraId", "lastChangeAt", "role", "status"]);

    // sightings (the unknown one carries an embedding, both an inline crop): the pushed sighting is GET /sightings's,
    // and its crop is served the moment it is pushed
    const recognized = randomUUID();
    const unknown = randomUUID();
    const t0 = new Date().toISOString();
    await h.bus.publish(
      h.bus.envelope("FaceRecognized", {
        ...recognizedData("gate-live", "tl-1", personId, "Live Person", recognized),
        decision: "probable",
        frameAt: t0,
      }),
    );
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("gate-live", "tl-2", unknown)));
    for (const [id, probable] of [
      [recognized, true],
      [unknown, false],
    ] as const) {
      const p = (await pushed("sighting", (x) => x.id === id)).payload as { cropKey: string | null };
      const res = await fetch(`${h.portal.url}/api/v1/media/crops/${p.cropKey}`, { headers: { cookie: a.cookie } });
      assert.equal(res.status, 200, "the pushed crop key resolves at once");
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), CROP_BYTES);
      const listed = (await api<{ items: { id: string }[] }>("/sightings?cameraId=gate-live")).items.find((x) => x.id === id);
      assert.deepEqual(p, { ...listed, probable });
    }
    await pushed("presence", (p) => p.cameraId === "gate-live");

    // a concluded track of the person: their attendance rows as GET /attendance lists them
    await h.bus.publish(
      h.bus.envelope("TrackConcluded", {
        cameraId: "gate-live",
        trackId: "tl-1",
        startedAt: t0,
        endedAt: new Date(Date.parse(t0) + 20_000).toISOString(),
        frames: 20,
        shots: 2,
        bestQuality: 0.8,
        outcome: { kind: "recognized", personId, personName: "Live Person", similarity: 0.9 },
      }),
    );
    const attendance = await pushed("attendance", (p) => p.personId === personId);
    const day = t0.slice(0, 10);
    assert.deepEqual(
      (attendance.payload as { items: { day: string }[] }).items.filter((r) => r.day === day),
      (await api<{ items: unknown[] }>(`/attendance?personId=${personId}&day=${day}`)).items,
    );

    // an alert raised with an inline crop, then acknowledged: each push is the alert as GET /alerts shows it then
    const alertId = randomUUID();
    await h.bus.publish(
      h.bus.envelope("AlertRaised", {
        alertId,
        rule: "test",
        kind: "unknown-at-perimeter",
        severity: "medium",
        message: "an unknown face at gate-live",
        cameraId: "gate-live",
        personId: null,
        trackId: "tl-2",
        sightingId: unknown,
        crop: inlineCrop(),
      }),
    );
    const raised = await pushed("alert", (p) => (p.alert as { alertId: string }).alertId === alertId);
    const listedAlert = async () =>
      (await api<{ items: { alertId: string }[] }>("/alerts")).items.find((x) => x.alertId === alertId);
    assert.deepEqual(raised.payload, { change: "raised", alert: await listedAlert() });
    await h.bus.publish(h.bus.envelope("AlertAcknowledged", { alertId, by: "admin", note: "seen" }));
    const acked = await pushed(
      "alert",
      (p) => p.change === "acknowledged" && (p.alert as { alertId: string }).alertId === alertId,
    );
    assert.deepEqual(acked.payload, { change: "acknowledged", alert: await listedAlert() });

    // a greeting, a visitor (its best faces carry embeddings), a person changed and removed
    await h.bus.publish(
      h.bus.envelope("GreetingPlayed", {
        personId,
        personName: "Live Person",
        cameraId: "gate-live",
        trackId: "tl-1",
        sound: {
          bucket: "sounds",
          key: `${personId}/${"b".repeat(64)}.mp3`,
          contentType: "audio/mpeg",
          size: 10,
          sha256: "b".repeat(64),
        },
        usedDefault: false,
        player: "lobby",
      }),
    );
    assert.deepEqual((await pushed("greeting")).payload, {
      personId,
      name: "Live Person",
      cameraId: "gate-live",
      soundKey: `${personId}/${"b".repeat(64)}.mp3`,
    });
    const visitorId = randomUUID();
    await h.bus.publish(
      h.bus.envelope("VisitorClustered", {
        visitorId,
        faces: 3,
        visits: 2,
        firstSeen: t0,
        lastSeen: t0,
        cameras: ["gate-live"],
        bestCrops: [
          {
            detectionId: unknown,
            cameraId: "gate-live",
            trackId: "tl-2",
            quality: QUALITY.score,
            seenAt: t0,
            crop: inlineCrop(),
            embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
          },
        ],
        absorbed: [],
      }),
    );
    const visitor = await pushed("visitor", (p) => p.visitorId === visitorId);
    assert.deepEqual((visitor.payload as { visitor: unknown }).visitor, await api(`/visitors/${visitorId}`));
    await h.bus.publish(h.bus.envelope("PersonUpdated", { personId, description: "changed live", by: "admin" }));
    const updated = await pushed("person", (p) => p.change === "updated");
    assert.equal((updated.payload as { person: { description: string } }).person.description, "changed live");
    await h.bus.publish(h.bus.envelope("PersonRemoved", { personId, reason: "test", by: "admin" }));
    assert.deepEqual((await pushed("person", (p) => p.change === "removed")).payload, {
      personId,
      change: "removed",
      person: null,
    });

    // every push: a documented event whose schema takes it as it is (nothing stripped), with no envelope or bus fields
    const forbidden = new Set([
      "embedding",
      "base64",
      "crop",
      "data",
      "occurredAt",
      "type",
      "source",
      "votes",
      "margin",
      "via",
      "frameAt",
    ]);
    const keysOf = (v: unknown): string[] =>
      Array.isArray(v)
        ? v.flatMap(keysOf)
        : v !== null && typeof v === "object"
          ? Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)])
          : [];
    const events = new Set(pushes.map((x) => x.event));
    for (const e of ["person", "camera", "sighting", "presence", "attendance", "alert", "greeting", "visitor"]) {
      assert.ok(events.has(e), `${e} pushed`);
    }
    for (const { event, payload } of pushes) {
      const schema = LIVE_EVENTS[event as keyof typeof LIVE_EVENTS];
      assert.ok(schema, `${event}: a documented live event`);
      const parsed = schema.safeParse(payload);
      assert.ok(parsed.success, `${event}: ${JSON.stringify(parsed.error?.issues)}`);
      assert.deepEqual(parsed.data, payload, `${event}: nothing beyond its schema`);
      assert.deepEqual(
        keysOf(payload).filter((k) => forbidden.has(k)),
        [],
        `${event} carries no envelope or bus fields: ${JSON.stringify(payload)}`,
      );
    }
  });

  test("logged-out or forged cookies do not connect", async () => {
    const s = io(h.portal.url, {
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { cookie: "persona_sid=forged-token-aaaaaaaaaaaaaaaaaaaa" },
    });
    sockets.push(s);
    const err = await new Promise<Error>((res) => s.once("connect_error", res));
    assert.match(err.message, /unauthorized/);
  });

  test("a socket is disconnected once its session ends (logout)", async () => {
    const c = await h.login();
    const s = await connect(h.portal.url, c.cookie);
    const gone = new Promise<string>((res) => s.once("disconnect", res));
    const r = await fetch(`${h.portal.url}/api/v1/auth/logout`, {
      method: "POST",
      headers: { cookie: c.cookie, "x-csrf-token": c.csrf },
    });
    assert.equal(r.status, 204);
    const reason = await Promise.race([gone, new Promise<string>((res) => setTimeout(() => res("still connected"), 3000))]);
    assert.equal(reason, "io server disconnect");
  });
});
