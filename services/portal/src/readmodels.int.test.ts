import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { personEnrolled } from "@persona/bus/testing";
import { type Client, type Harness, call, recognizedData, startHarness, unknownData, until } from "./testSupport.ts";

interface Items<T> {
  items: T[];
}

describe("read APIs over the projections: sightings, presence, attendance, cameras, system", () => {
  let h: Harness;
  let viewer: Client;
  const base = () => h.portal.url;

  before(async () => {
    h = await startHarness({ liveUrls: { gate: "http://127.0.0.1:8090/live/gate" } });
    [, viewer] = await h.clients(["vic", "viewer"]);
    await h.bus.publish(h.bus.envelope("PersonEnrolled", personEnrolled("p-anna", 'Анна, "=1+1"', { source: "portal" })));
    await h.bus.publish(
      h.bus.envelope(
        "CameraStatusChanged",
        { cameraId: "gate", role: "perimeter", status: "live", message: "ok", attempt: 0, source: "rtsp://x" },
        // live before the sightings below (their frame times are in March too)
        { occurredAt: new Date("2026-03-02T08:00:00.000Z") },
      ),
    );
  });
  after(async () => {
    await h?.dispose();
  });

  test("a recognition and an unknown show in sightings and presence; a concluded track leaves presence and counts in attendance", async () => {
    const d1 = randomUUID();
    const t0 = "2026-03-02T09:00:00.000Z";
    await h.bus.publish(h.bus.envelope("FaceRecognized", { ...recognizedData("gate", "t1", "p-anna", "Анна", d1), frameAt: t0 }));
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", { ...unknownData("hall", "t2", randomUUID()), frameAt: t0 }));
    const s = await until("sightings", async () => {
      const r = await call<Items<{ id: string; name: string | null; decision: string; cropKey: string | null }>>(
        base(),
        "GET",
        "/sightings?personId=p-anna",
        { client: viewer },
      );
      return r.body.items.length > 0 && r.body.items;
    });
    assert.deepEqual(
      [s[0]?.id, s[0]?.decision, s[0]?.name, s[0]?.cropKey],
      [d1, "recognized", 'Анна, "=1+1"', `inline/${d1}.jpg`],
    );
    const byCam = await call<Items<{ cameraId: string }>>(base(), "GET", "/sightings?cameraId=hall", { client: viewer });
    assert.deepEqual(
      byCam.body.items.map((x) => x.cameraId),
      ["hall"],
    );
    const bad = await call(base(), "GET", "/sightings?from=yesterday", { client: viewer });
    assert.equal(bad.status, 400);

    const presence = await until("presence", async () => {
      const r = await call<Items<{ cameraId: string; personId: string | null; name: string | null }>>(
        base(),
        "GET",
        "/presence",
        { client: viewer },
      );
      return r.body.items.length === 2 && r.body.items;
    });
    assert.deepEqual(presence.find((p) => p.cameraId === "gate")?.name, 'Анна, "=1+1"');

    await h.bus.publish(
      h.bus.envelope("TrackConcluded", {
        cameraId: "gate",
        trackId: "t1",
        startedAt: t0,
        endedAt: "2026-03-02T09:00:30.000Z",
        frames: 30,
        shots: 2,
        bestQuality: 0.8,
        outcome: { kind: "recognized", personId: "p-anna", personName: "Анна", similarity: 0.9 },
      }),
    );
    const att = await until("attendance", async () => {
      const r = await call<Items<{ personId: string; secondsInView: number; day: string }>>(
        base(),
        "GET",
        "/attendance?day=2026-03-02",
        { client: viewer },
      );
      return r.body.items.length > 0 && r.body.items;
    });
    assert.deepEqual([att[0]?.personId, att[0]?.secondsInView, att[0]?.day], ["p-anna", 30, "2026-03-02"]);
    const left = await call<Items<{ cameraId: string }>>(base(), "GET", "/presence", { client: viewer });
    assert.deepEqual(
      left.body.items.map((p) => p.cameraId),
      ["hall"],
    );

    // a camera killed before it could end its tracks: once it reports again (restarted), its old tracks are ghosts
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", { ...unknownData("gate", "t-ghost", randomUUID()), frameAt: t0 }));
    await until("the ghost's track in view", async () => {
      const r = await call<Items<{ trackId: string }>>(base(), "GET", "/presence", { client: viewer });
      return r.body.items.some((p) => p.trackId === "t-ghost");
    });
    for (const [status, at] of [
      ["starting", "2026-03-02T10:00:00.000Z"],
      ["live", "2026-03-02T10:00:01.000Z"],
    ] as const) {
      await h.bus.publish(
        h.bus.envelope(
          "CameraStatusChanged",
          { cameraId: "gate", role: "perimeter", status, message: "restarted", attempt: 0, source: "rtsp://x" },
          { occurredAt: new Date(at) },
        ),
      );
    }
    await until("the ghost gone", async () => {
      const r = await call<Items<{ trackId: string; cameraId: string }>>(base(), "GET", "/presence", { client: viewer });
      return !r.body.items.some((p) => p.trackId === "t-ghost") && r.body.items.some((p) => p.cameraId === "hall");
    });

    const csv = await fetch(`${base()}/api/v1/attendance.csv?from=2026-03-01&to=2026-03-31`, {
      headers: { cookie: viewer.cookie },
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    assert.equal(lines[0], "person_id,name,day,first_seen,last_seen,seconds_in_view");
    assert.equal(lines[1], 'p-anna,"Анна, ""=1+1""",2026-03-02,2026-03-02T09:00:00.000Z,2026-03-02T09:00:30.000Z,30');
  });

  test("cameras: status and role from CameraStatusChanged, live URL from the settings", async () => {
    const cams = await until("the camera", async () => {
      const r = await call<
        Items<{ cameraId: string; status: string; role: string | null; lastChangeAt: string | null; hasLiveView: boolean }>
      >(base(), "GET", "/cameras", { client: viewer });
      return r.body.items.some((c) => c.status === "live") && r.body.items;
    });
    assert.deepEqual(
      cams.map((c) => ({ cameraId: c.cameraId, status: c.status, role: c.role, hasLiveView: c.hasLiveView })),
      [{ cameraId: "gate", status: "live", role: "perimeter", hasLiveView: true }],
    );
    assert.ok(cams[0]?.lastChangeAt);
  });

  test("system: readiness, the portal's durable consumers with their lag, dead letters", async () => {
    const r = await call<{
      services: { name: string; ready: boolean }[];
      consumers: { stream: string; name: string; pending: number }[];
      deadLetters: number;
    }>(base(), "GET", "/system", { client: viewer });
    assert.equal(r.status, 200);
    assert.ok(
      r.body.services.every((s) => s.ready),
      JSON.stringify(r.body.services),
    );
    const names = r.body.consumers.map((c) => `${c.stream}/${c.name}`);
    for (const n of ["SIGHTINGS/projections", "SIGHTINGS/alerts", "LIBRARY/people-projection", "ALERTS/alerts-projection"])
      assert.ok(names.includes(n), n);
    assert.equal(r.body.deadLetters, 0);
  });

  test("while NATS is away the reads still answer: cameras, rules as last read, the system page saying NATS is down (no 5xx)", async () => {
    assert.equal((await call(base(), "GET", "/rules", { client: viewer })).status, 200);
    await h.server.stop();
    try {
      const cams = await call<{ items: { cameraId: string }[] }>(base(), "GET", "/cameras", { client: viewer });
      assert.equal(cams.status, 200, JSON.stringify(cams.body));
      assert.ok(cams.body.items.some((x) => x.cameraId === "gate"));
      const rules = await call(base(), "GET", "/rules", { client: viewer });
      assert.equal(rules.status, 200, JSON.stringify(rules.body));
      const sys = await call<{ natsError: string | null; deadLetters: number | null; consumers: unknown[] }>(
        base(),
        "GET",
        "/system",
        { client: viewer },
      );
      assert.equal(sys.status, 200, JSON.stringify(sys.body));
      assert.match(sys.body.natsError ?? "", /NATS does not answer/);
      assert.equal(sys.body.deadLetters, null);
      assert.deepEqual(sys.body.consumers, []);
      for (const path of ["/people", "/sightings", "/presence", "/attendance", "/alerts"]) {
        const r = await call(base(), "GET", path, { client: viewer });
        assert.ok(r.status < 500, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    } finally {
      await h.server.relaunch();
    }
    const back = await until(
      "the system page sees NATS again",
      async () => {
        const r = await call<{ natsError: string | null }>(base(), "GET", "/system", { client: viewer });
        return r.body.natsError === null && r;
      },
      30_000,
    );
    assert.equal(back.status, 200);
  });
});
