import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { UnknownsPage } from "./http/schemas.ts";
import { type Client, type Harness, QUALITY, call, inlineCrop, startHarness, unknownData, until } from "./testSupport.ts";

/** A JSON value -1 (or -1.0): not the "-1" inside a uuid ("15a416d9-1f6c-...") or a date ("2026-12-07"). */
const SENTINEL = /[:[,]\s*-1(\.0+)?\s*[,\]}]/;
/**
 * Issue #16: GET /unknowns lists unknown faces by track (one card per camera pass, not one per shot), with the best
 * shot by quality and the number of shots, grouped under the visitor the trainer clustered them into, and closed
 * once the visitor is named. With an empty library there is no nearest person: no sentinel similarity (-1) shows.
 */

type Page = ReturnType<typeof UnknownsPage.parse>;

describe("unknowns by track, grouped under their visitor", () => {
  let h: Harness;
  let admin: Client;
  before(async () => {
    h = await startHarness();
    admin = await h.login();
  });
  after(async () => {
    await h?.dispose();
  });

  const page = async (query: string): Promise<{ page: Page; raw: string }> => {
    const r = await call<Page>(h.portal.url, "GET", `/unknowns${query}`, { client: admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { page: UnknownsPage.parse(r.body), raw: JSON.stringify(r.body) };
  };

  /** Five shots of one track, the library empty (the recognizer's -1 and no nearest person); the 3rd is the best. */
  const track = async (cameraId: string, trackId: string, t0: number) => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.push(id);
      const data = {
        ...unknownData(cameraId, trackId, id),
        bestSimilarity: -1,
        bestPersonId: null,
        quality: { ...QUALITY, score: i === 2 ? 0.93 : 0.5 + i * 0.05 },
        frameAt: new Date(t0 + i * 200).toISOString(),
      };
      await h.bus.publish(h.bus.envelope("UnknownFaceSeen", data));
    }
    return ids;
  };

  test("2 tracks of 5 shots: 2 items with their best shot, under their visitor, closed once the visitor is named", async () => {
    const t0 = Date.now() - 60_000;
    const a = await track("door", "t-a", t0);
    const b = await track("hall", "t-b", t0 + 10_000);
    await h.bus.publish(
      h.bus.envelope("TrackConcluded", {
        cameraId: "door",
        trackId: "t-a",
        startedAt: new Date(t0).toISOString(),
        endedAt: new Date(t0 + 1000).toISOString(),
        frames: 30,
        shots: 5,
        bestQuality: 0.93,
        outcome: { kind: "unknown", bestSimilarity: -1 },
      }),
    );
    const visitorId = randomUUID();
    const crop = (cameraId: string, trackId: string, detectionId: string, seenAt: number) => ({
      detectionId,
      cameraId,
      trackId,
      quality: 0.93,
      seenAt: new Date(seenAt).toISOString(),
      crop: inlineCrop(),
    });
    await h.bus.publish(
      h.bus.envelope("VisitorClustered", {
        visitorId,
        faces: 10,
        visits: 2,
        firstSeen: new Date(t0).toISOString(),
        lastSeen: new Date(t0 + 10_800).toISOString(),
        cameras: ["door", "hall"],
        bestCrops: [crop("door", "t-a", a[2] as string, t0 + 400), crop("hall", "t-b", b[2] as string, t0 + 10_400)],
        absorbed: [],
      }),
    );

    const open = await until("both tracks listed under the visitor", async () => {
      const p = await page("");
      return p.page.items.length === 2 && p.page.items.every((i) => i.visitorId === visitorId) && p;
    });
    assert.deepEqual(
      open.page.items.map((i) => [i.trackKey, i.shots, i.best.sightingId, i.status]),
      [
        ["hall/t-b", 5, b[2], "open"],
        ["door/t-a", 5, a[2], "open"],
      ],
      "one item per track, newest first, each with its 5 shots and its best shot by quality",
    );
    const door = open.page.items[1];
    assert.equal(door?.best.quality, 0.93);
    assert.equal(door?.firstSeen, new Date(t0).toISOString());
    assert.equal(door?.lastSeen, new Date(t0 + 800).toISOString());
    assert.equal(door?.cameraId, "door");
    assert.ok(door?.best.cropKey, "the best shot's crop");
    assert.deepEqual(door?.concluded?.outcome, "unknown");
    assert.equal(door?.nearest, null, "an empty library: no nearest person");
    assert.equal(open.page.items[0]?.concluded, null, "not concluded yet");
    assert.deepEqual(open.page.visitors, [
      {
        visitorId,
        status: "open",
        faces: 10,
        visits: 2,
        firstSeen: new Date(t0).toISOString(),
        lastSeen: new Date(t0 + 10_800).toISOString(),
        cameras: ["door", "hall"],
        resolution: null,
      },
    ]);
    assert.equal(open.page.next, null);
    assert.ok(!SENTINEL.test(open.raw), `no sentinel -1 in ${open.raw}`);

    // a page of one, then the next
    const first = await page("?limit=1");
    assert.equal(first.page.items.length, 1);
    assert.equal(first.page.next, 1);
    const second = await page("?limit=1&cursor=1");
    assert.deepEqual(
      second.page.items.map((i) => i.trackKey),
      ["door/t-a"],
    );
    assert.equal(second.page.next, null);

    await h.bus.publish(
      h.bus.envelope("VisitorNamed", { visitorId, personId: "p-new", existing: false, name: "Nadia", by: "admin" }),
    );
    await until("the visitor's tracks leave the open queue", async () => (await page("")).page.items.length === 0);
    const all = await page("?status=all");
    assert.deepEqual(
      all.page.items.map((i) => [i.trackKey, i.status, i.resolution?.kind, i.resolution?.name]),
      [
        ["hall/t-b", "closed", "named", "Nadia"],
        ["door/t-a", "closed", "named", "Nadia"],
      ],
    );
    assert.equal(all.page.visitors[0]?.status, "named");
    assert.equal(all.page.visitors[0]?.resolution?.personId, "p-new");
    assert.deepEqual(
      (await page("?status=closed")).page.items.map((i) => i.trackKey),
      ["hall/t-b", "door/t-a"],
    );
    assert.ok(!SENTINEL.test(all.raw), `no sentinel -1 in ${all.raw}`);
  });
});
