/**
 * Naming thresholds in the console (real nats-server and KV): operators read each calibrated model and mode with
 * its measured rates, admins set a measured (or any sane) value and reset it; bad values are a 400, unknown models
 * a 404, viewers and operators cannot change anything.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ThresholdOverride, thresholdKey } from "@persona/contracts";
import { ADMIN, type Client, type Harness, call, startHarness } from "./testSupport.ts";

let h: Harness;
const base = () => h.portal.url;
let admin: Client;
let operator: Client;
let viewer: Client;

interface Rates {
  dir: number;
  wrong: number;
  fpir: number;
}
interface Threshold {
  model: string;
  mode: string;
  recognizerDefault: boolean;
  tuned: { threshold: number; minMargin: number; rates: Rates | null };
  override: { nameThreshold: number; updatedBy: string } | null;
  effective: { threshold: number; minMargin: number; rates: Rates | null };
  calibration: { points: { threshold: number; dir: number; fpir: number }[]; command: string };
}

before(async () => {
  h = await startHarness();
  [admin, operator, viewer] = await h.clients(["olga", "operator"], ["vera", "viewer"]);
});
after(async () => {
  await h?.dispose();
});

describe("naming thresholds", () => {
  test("listed with their measured rates; the default model and mode marked", async () => {
    assert.equal((await call(base(), "GET", "/thresholds", { client: viewer })).status, 403);
    const r = await call<{ items: Threshold[] }>(base(), "GET", "/thresholds", { client: operator });
    assert.equal(r.status, 200);
    const def = r.body.items.filter((t) => t.recognizerDefault);
    assert.equal(def.length, 1, "one default");
    const d = def[0] as Threshold;
    assert.equal(d.override, null);
    assert.equal(d.effective.threshold, d.tuned.threshold);
    assert.ok(d.tuned.rates, "the tuned threshold is measured");
    // the tuned threshold keeps strangers rare and names most enrolled people (LFW, one photo each)
    assert.ok(d.tuned.rates.fpir < 0.03, `FPIR at the tuned threshold ${d.tuned.rates.fpir}`);
    assert.ok(d.tuned.rates.dir > 0.9, `DIR at the tuned threshold ${d.tuned.rates.dir}`);
    // a stricter threshold names fewer strangers
    const pts = d.calibration.points;
    for (let i = 1; i < pts.length; i++)
      assert.ok((pts[i]?.fpir ?? 1) <= (pts[i - 1]?.fpir ?? 0) + 1e-9, "FPIR falls as the threshold rises");
  });

  test("an admin sets a measured threshold, the KV holds it for the recognizers, and resets it", async () => {
    const list = (await call<{ items: Threshold[] }>(base(), "GET", "/thresholds", { client: admin })).body.items;
    const d = list.find((t) => t.recognizerDefault) as Threshold;
    const stricter = d.calibration.points.find((p) => p.threshold > d.tuned.threshold + 0.03) ?? assert.fail("no stricter point");
    const path = `/thresholds/${d.model}/${d.mode}`;
    assert.equal(
      (await call(base(), "PUT", path, { client: operator, json: { nameThreshold: stricter.threshold } })).status,
      403,
    );

    const set = await call<Threshold>(base(), "PUT", path, { client: admin, json: { nameThreshold: stricter.threshold } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.effective.threshold, stricter.threshold);
    assert.deepEqual(set.body.effective.rates?.fpir, stricter.fpir, "the rates of the chosen value are the measured ones");
    assert.equal(set.body.override?.updatedBy, ADMIN.username);
    const stored = await (await h.bus.kv("config")).get(thresholdKey(d.model, d.mode as "flip"));
    assert.equal(ThresholdOverride.parse(stored?.json()).nameThreshold, stricter.threshold);

    // between two measured points: interpolated; with another margin: not measured
    const mid = (stricter.threshold + (d.calibration.points.find((p) => p.threshold > stricter.threshold)?.threshold ?? 1)) / 2;
    const between = await call<Threshold>(base(), "PUT", path, { client: admin, json: { nameThreshold: mid } });
    assert.ok(between.body.effective.rates && between.body.effective.rates.fpir <= stricter.fpir);
    const margin = await call<Threshold>(base(), "PUT", path, { client: admin, json: { nameThreshold: mid, minMargin: 0.2 } });
    assert.equal(margin.body.effective.rates, null);

    const reset = await call<Threshold>(base(), "DELETE", path, { client: admin });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.override, null);
    assert.equal(reset.body.effective.threshold, d.tuned.threshold);
  });

  test("bad values are a 400, unknown models a 404; nothing is stored", async () => {
    const list = (await call<{ items: Threshold[] }>(base(), "GET", "/thresholds", { client: admin })).body.items;
    const d = list[0] as Threshold;
    const path = `/thresholds/${d.model}/${d.mode}`;
    for (const json of [
      { nameThreshold: 2 },
      { nameThreshold: "high" },
      {},
      { nameThreshold: 0.5, extra: 1 },
      { nameThreshold: d.tuned.threshold + 0.5 },
    ]) {
      const r = await call(base(), "PUT", path, { client: admin, json });
      assert.equal(r.status, 400, JSON.stringify(json));
    }
    assert.equal(
      (await call(base(), "PUT", "/thresholds/no-such-model/flip", { client: admin, json: { nameThreshold: 0.5 } })).status,
      404,
    );
    assert.equal(
      (await call(base(), "PUT", `/thresholds/${d.model}/sideways`, { client: admin, json: { nameThreshold: 0.5 } })).status,
      400,
    );
    assert.equal(
      await (await h.bus.kv("config")).get(thresholdKey(d.model, d.mode as "flip")).then((e) => e?.operation === "PUT"),
      false,
    );
  });
});
