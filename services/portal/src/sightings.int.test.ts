import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { personEnrolled } from "@persona/bus/testing";
import { type Socket, io } from "socket.io-client";
import { LiveSighting, Sighting } from "./http/schemas.ts";
import { type Client, type Harness, call, recognizedData, startHarness, unknownData, until } from "./testSupport.ts";

/**
 * Issue #16: GET /sightings (and the pushed `sighting`) say what the recognizer decided, after the fact too: a
 * probable shot stays probable, and a shot's track conclusion (a stranger, or the person) comes with it.
 */

type Listed = ReturnType<typeof Sighting.parse>;

describe("sightings carry the recognizer's decision and the track's conclusion", () => {
  let h: Harness;
  let admin: Client;
  let socket: Socket;
  const pushes: ReturnType<typeof LiveSighting.parse>[] = [];

  before(async () => {
    h = await startHarness();
    admin = await h.login();
    await h.bus.publish(h.bus.envelope("PersonEnrolled", personEnrolled("p-ann", "Ann", { source: "portal" })));
    socket = io(h.portal.url, { transports: ["websocket"], reconnection: false, extraHeaders: { cookie: admin.cookie } });
    await new Promise<void>((res, rej) => {
      socket.once("connect", () => res());
      socket.once("connect_error", rej);
    });
    socket.on("sighting", (s: unknown) => pushes.push(LiveSighting.parse(s)));
  });
  after(async () => {
    socket?.close();
    await h?.dispose();
  });

  const listed = async (cameraId: string, n: number) =>
    until(`${n} sightings at ${cameraId}`, async () => {
      const r = await call<{ items: Listed[] }>(h.portal.url, "GET", `/sightings?cameraId=${cameraId}`, { client: admin });
      assert.equal(r.status, 200);
      return r.body.items.length >= n && r.body.items.map((s) => Sighting.parse(s));
    });
  const conclude = (cameraId: string, trackId: string, startedAt: string, outcome: Record<string, unknown>) =>
    h.bus.publish(
      h.bus.envelope("TrackConcluded", {
        cameraId,
        trackId,
        startedAt,
        endedAt: new Date(Date.parse(startedAt) + 5000).toISOString(),
        frames: 12,
        shots: 1,
        bestQuality: 0.8,
        outcome: outcome as never,
      }),
    );

  test("a probable recognition is listed probable; once its track is concluded unknown, the conclusion comes with it", async () => {
    const t0 = new Date(Date.now() - 60_000).toISOString();
    const probable = randomUUID();
    await h.bus.publish(
      h.bus.envelope("FaceRecognized", {
        ...recognizedData("gate-s", "ts-1", "p-ann", "Ann", probable),
        decision: "probable",
        similarity: 0.91,
        frameAt: t0,
      }),
    );
    const before = (await listed("gate-s", 1)).find((s) => s.id === probable);
    assert.deepEqual(
      [before?.decision, before?.recognition, before?.concluded, before?.personId, before?.score],
      ["recognized", "probable", null, "p-ann", 0.91],
    );
    // the push said the same
    const pushed = await until("pushed", async () => pushes.find((p) => p.id === probable));
    assert.deepEqual([pushed.recognition, pushed.probable, pushed.concluded], ["probable", true, null]);

    // the recognizer's vote over the whole track: a stranger
    await conclude("gate-s", "ts-1", t0, { kind: "unknown", bestSimilarity: 0.52 });
    const after = await until("the conclusion", async () => {
      const s = (await listed("gate-s", 1)).find((x) => x.id === probable);
      return s?.concluded !== null && s;
    });
    assert.deepEqual(
      [after.recognition, after.concluded],
      ["probable", { outcome: "unknown", personId: null, name: null, score: 0.52, endedAt: after.concluded?.endedAt }],
    );
    // the console is told at once: the shot pushed again with its conclusion, as the list shows it
    const again = await until("pushed with the conclusion", async () =>
      pushes.find((p) => p.id === probable && p.concluded !== null),
    );
    assert.deepEqual(again, { ...after, probable: true });
  });

  test("confirmed, concluded as the person, an unknown face concluded unknown, and a conclusion that came first", async () => {
    const t0 = new Date(Date.now() - 30_000).toISOString();
    const confirmed = randomUUID();
    const unknown = randomUUID();
    await h.bus.publish(
      h.bus.envelope("FaceRecognized", { ...recognizedData("hall-s", "th-1", "p-ann", "Ann", confirmed), frameAt: t0 }),
    );
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", { ...unknownData("hall-s", "th-2", unknown), frameAt: t0 }));
    await conclude("hall-s", "th-1", t0, { kind: "recognized", personId: "p-ann", personName: "Ann", similarity: 0.93 });
    await conclude("hall-s", "th-2", t0, { kind: "unknown", bestSimilarity: 0.41 });
    // a slower recognizer replica: a shot of a track already concluded
    const late = randomUUID();
    await conclude("hall-s", "th-3", t0, { kind: "undecided", reason: "too few shots" });
    await h.bus.publish(
      h.bus.envelope("FaceRecognized", {
        ...recognizedData("hall-s", "th-3", "p-ann", "Ann", late),
        decision: "probable",
        frameAt: t0,
      }),
    );
    const items = await until("all concluded", async () => {
      const l = await listed("hall-s", 3);
      return l.every((s) => s.concluded !== null) && l;
    });
    const by = (id: string) => items.find((s) => s.id === id);
    assert.deepEqual(
      [by(confirmed)?.recognition, by(confirmed)?.concluded?.outcome, by(confirmed)?.concluded?.name],
      ["confirmed", "recognized", "Ann"],
    );
    assert.deepEqual(
      [by(unknown)?.decision, by(unknown)?.recognition, by(unknown)?.concluded?.outcome],
      ["unknown", "unknown", "unknown"],
    );
    assert.deepEqual([by(late)?.recognition, by(late)?.concluded?.outcome], ["probable", "undecided"]);
    const pushedLate = await until("late push", async () => pushes.find((p) => p.id === late));
    assert.deepEqual(pushedLate.concluded?.outcome, "undecided", "a push of a shot whose track already ended says so");
    // the person page lists the same
    const person = await call<{ recentSightings: Listed[] }>(h.portal.url, "GET", "/people/p-ann", { client: admin });
    assert.equal(person.body.recentSightings.find((s) => s.id === late)?.recognition, "probable");
  });
});
