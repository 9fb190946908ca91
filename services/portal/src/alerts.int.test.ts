import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { personEnrolled } from "@persona/bus/testing";
import type { RunningPortal } from "./app.ts";
import {
  CROP_BYTES,
  type Client,
  type Harness,
  call,
  recognizedData,
  startHarness,
  startReplica,
  unknownData,
  until,
} from "./testSupport.ts";

interface AlertBody {
  alertId: string;
  kind: string;
  severity: string;
  cameraId: string | null;
  personId: string | null;
  trackId: string | null;
  cropKey: string | null;
  status: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

let h: Harness;
const base = () => h.portal.url;
let admin: Client;
let operator: Client;

const alerts = async (q = "") => (await call<{ items: AlertBody[] }>(base(), "GET", `/alerts${q}`, { client: admin })).body.items;

before(async () => {
  h = await startHarness();
  [admin, operator] = await h.clients(["olga", "operator"]);
  const rules = {
    cameras: { gate: { role: "perimeter" }, hall: { role: "entrance" } },
    rules: [
      { id: "unknown-perimeter", kind: "unknown-at-perimeter", severity: "medium", roles: ["perimeter"], minUnknownShots: 2 },
      { id: "watchlist", kind: "watchlisted", severity: "high" },
    ],
  };
  assert.equal((await call(base(), "PUT", "/rules", { client: admin, json: rules })).status, 200);
});
after(async () => {
  await h?.dispose();
});

describe("alerts", () => {
  let unknownAlert: AlertBody;

  test("an unknown seen twice at a perimeter camera raises one medium alert with the crop", async () => {
    const d1 = randomUUID();
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("gate", "t1", d1)));
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("gate", "t1", randomUUID())));
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("gate", "t1", randomUUID())));
    // an unknown at the entrance raises nothing
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("hall", "t2", randomUUID())));
    await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("hall", "t2", randomUUID())));
    const [a] = await until("an alert", async () => {
      const items = await alerts();
      return items.length > 0 && items;
    });
    await new Promise((r) => setTimeout(r, 500));
    const all = await alerts();
    assert.equal(all.length, 1, "de-duplicated per visit, none at the entrance");
    unknownAlert = a as AlertBody;
    assert.deepEqual(
      [unknownAlert.kind, unknownAlert.severity, unknownAlert.cameraId, unknownAlert.trackId, unknownAlert.status],
      ["unknown-at-perimeter", "medium", "gate", "t1", "open"],
    );
    assert.match(unknownAlert.cropKey ?? "", /^inline\/[0-9a-f-]{36}\.jpg$/);
    const crop = await until("the crop", async () => {
      const res = await fetch(`${base()}/api/v1/media/crops/${unknownAlert.cropKey}`, { headers: { cookie: operator.cookie } });
      return res.status === 200 && Buffer.from(await res.arrayBuffer());
    });
    assert.deepEqual(crop, CROP_BYTES, "the inline crop is served from its SIGHTINGS message");
  });

  test("a watchlisted person raises a high alert anywhere", async () => {
    await h.bus.publish(h.bus.envelope("PersonEnrolled", personEnrolled("p-wanted", "Wanted Person", { source: "portal" })));
    await until("the person", async () => (await call(base(), "GET", "/people/p-wanted", { client: admin })).status === 200);
    const patched = await call<{ watchlist: { reason: string } | null }>(base(), "PATCH", "/people/p-wanted", {
      client: admin,
      json: { watchlist: { reason: "trespass" } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.watchlist, { reason: "trespass" });
    await h.bus.publish(
      h.bus.envelope("FaceRecognized", recognizedData("hall", "t9", "p-wanted", "Wanted Person", randomUUID())),
    );
    const w = await until("the watchlist alert", async () => (await alerts()).find((a) => a.kind === "watchlisted"));
    assert.deepEqual([w.severity, w.personId, w.cameraId], ["high", "p-wanted", "hall"]);
  });

  test("acknowledge records who and when, and survives a portal restart (must hold)", async () => {
    const viewerTry = await call(base(), "POST", `/alerts/${unknownAlert.alertId}/ack`, { client: null, json: {} });
    assert.equal(viewerTry.status, 401);
    const r = await call<AlertBody>(base(), "POST", `/alerts/${unknownAlert.alertId}/ack`, {
      client: operator,
      json: { note: "seen" },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, "acknowledged");
    assert.equal(r.body.acknowledgedBy, "olga");
    assert.ok(r.body.acknowledgedAt);
    assert.equal((await call(base(), "POST", `/alerts/${unknownAlert.alertId}/ack`, { client: operator, json: {} })).status, 409);

    await h.restart();
    operator = await h.login("olga");
    const after = (await alerts()).find((a) => a.alertId === unknownAlert.alertId);
    assert.deepEqual(
      [after?.status, after?.acknowledgedBy, after?.acknowledgedAt],
      ["acknowledged", "olga", r.body.acknowledgedAt],
      "the acknowledgement is kept",
    );
    assert.equal((await alerts("?status=open")).length, 1, "the watchlist alert is still open");
    const resolved = await call<AlertBody>(base(), "POST", `/alerts/${unknownAlert.alertId}/resolve`, {
      client: operator,
      json: {},
    });
    assert.equal(resolved.body.status, "resolved");
    assert.equal(resolved.body.acknowledgedBy, "olga");
  });

  test("with two portal replicas, a sighting is evaluated once (shared durable)", async () => {
    const second: RunningPortal = await startReplica(h);
    try {
      const before = (await alerts()).length;
      for (const t of ["r1", "r2", "r3", "r4"]) {
        for (let i = 0; i < 3; i++) await h.bus.publish(h.bus.envelope("UnknownFaceSeen", unknownData("gate", t, randomUUID())));
      }
      await until("4 alerts", async () => (await alerts()).length >= before + 4);
      await new Promise((r) => setTimeout(r, 800));
      const items = await alerts();
      assert.equal(items.length, before + 4, "one alert per visit, not one per replica");
    } finally {
      await second.stop();
    }
  });
});
