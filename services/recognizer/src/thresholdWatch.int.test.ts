/**
 * The admin's threshold reaches a running recognizer's vote at once (real nats-server, the real KV `config` bucket):
 * set, changed, deleted (the settings' values return), and a stored value that does not parse is ignored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type ThresholdOverride, thresholdKey } from "@persona/contracts";
import { type VoteOptions, voteOptions } from "@persona/recognition";
import { createLogger } from "@persona/runtime";
import { type NatsServerHandle, startNatsServer, waitFor } from "@persona/testing";
import { embedderSpec } from "@persona/vision";
import { watchThresholds } from "./thresholdWatch.ts";

let nats: NatsServerHandle;
let bus: Bus;
before(async () => {
  nats = await startNatsServer();
  bus = await testBus(nats.url, "recognizer");
});
after(async () => {
  await bus?.close();
  await nats?.dispose();
});

describe("thresholds set in the console", () => {
  test("a running vote follows set, change and delete; a broken value leaves the settings' thresholds", async () => {
    const spec = embedderSpec("fr_feature");
    const settings = { flip: true, minAgreeing: 2, minShare: 0.6, minUnknownShots: 1, fusedMinShots: 3 };
    const optionsFor = (o: ThresholdOverride | null): VoteOptions =>
      voteOptions(spec, { ...settings, nameThreshold: o?.nameThreshold, minMargin: o?.minMargin });
    const vote = optionsFor(null);
    const held = vote; // what the handlers hold: the same object must change
    const tuned = vote.nameThreshold;
    const kv = await bus.kv("config");
    const key = thresholdKey("fr_feature", "flip");
    await kv.put(key, JSON.stringify({ nameThreshold: 0.5, updatedAt: "2026-12-07T00:00:00Z", updatedBy: "admin" }));
    const w = await watchThresholds({
      kv,
      model: "fr_feature",
      mode: "flip",
      vote,
      optionsFor,
      log: createLogger("t", "silent"),
    });
    try {
      assert.equal(held.nameThreshold, 0.5, "a value stored before the start applies from the start");
      assert.equal(held.singleShotThreshold, 0.51, "derived thresholds follow");
      await kv.put(
        key,
        JSON.stringify({ nameThreshold: 0.47, minMargin: 0.05, updatedAt: "2026-12-07T00:01:00Z", updatedBy: "admin" }),
      );
      await waitFor(() => held.nameThreshold === 0.47, { message: "the change applies" });
      assert.equal(held.minMargin, 0.05);
      assert.equal(w.current?.updatedBy, "admin");
      // another model's or mode's key does not touch this vote
      await kv.put(thresholdKey("fr_feature", "single"), JSON.stringify({ nameThreshold: 0.3, updatedAt: "x", updatedBy: "y" }));
      await kv.put(key, "{not json");
      await waitFor(() => held.nameThreshold === tuned, { message: "a broken value: the tuned threshold" });
      await kv.put(key, JSON.stringify({ nameThreshold: 0.45, updatedAt: "2026-12-07T00:02:00Z", updatedBy: "admin" }));
      await waitFor(() => held.nameThreshold === 0.45, { message: "set again" });
      await kv.delete(key);
      await waitFor(() => held.nameThreshold === tuned, { message: "deleted: the tuned threshold" });
      assert.equal(w.current, null);
      assert.equal(held.minMargin, spec.thresholds.flip?.openSet.minMargin);
    } finally {
      w.stop();
    }
  });
});
