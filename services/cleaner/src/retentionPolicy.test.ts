import assert from "node:assert/strict";
import { test } from "node:test";
import { configSchema } from "./config.ts";
import { cutoffs, policyFromConfig } from "./retentionPolicy.ts";

const NOW = Date.parse("2026-03-31T12:00:00.000Z");

test("retention defaults: unknown crops 8 h, sightings 30 days, alerts 90 days, attendance kept, presence 24 h, applied records 7 days, open visitors 30 days", () => {
  const c = cutoffs(policyFromConfig(configSchema.parse({})), NOW);
  assert.equal(c.unknownCrops?.toISOString(), "2026-03-31T04:00:00.000Z");
  assert.equal(c.sightings?.toISOString(), "2026-03-01T12:00:00.000Z");
  assert.equal(c.alerts?.toISOString(), "2025-12-31T12:00:00.000Z");
  assert.equal(c.attendanceDay, null);
  assert.equal(c.presence?.toISOString(), "2026-03-30T12:00:00.000Z");
  assert.equal(c.applied?.toISOString(), "2026-03-24T12:00:00.000Z");
  assert.equal(c.visitors?.toISOString(), "2026-03-01T12:00:00.000Z");
  assert.equal(c.orphans.toISOString(), "2026-03-30T12:00:00.000Z");
});

test("0 keeps a kind forever; an unknown face's crop never outlives its sighting", () => {
  const keepAll = cutoffs(
    policyFromConfig(
      configSchema.parse({
        RETENTION_SIGHTINGS_DAYS: "0",
        RETENTION_ALERTS_DAYS: "0",
        RETENTION_UNKNOWN_CROPS_HOURS: "0",
        RETENTION_PRESENCE_HOURS: "0",
        RETENTION_APPLIED_DAYS: "0",
        RETENTION_VISITORS_DAYS: "0",
      }),
    ),
    NOW,
  );
  assert.deepEqual(
    [keepAll.sightings, keepAll.alerts, keepAll.unknownCrops, keepAll.presence, keepAll.applied, keepAll.visitors],
    [null, null, null, null, null, null],
  );
  const crops = cutoffs(
    policyFromConfig(configSchema.parse({ RETENTION_UNKNOWN_CROPS_HOURS: "0", RETENTION_SIGHTINGS_DAYS: "2" })),
    NOW,
  );
  assert.equal(crops.unknownCrops?.toISOString(), "2026-03-29T12:00:00.000Z", "kept crops go with their sightings");
  const longer = cutoffs(
    policyFromConfig(configSchema.parse({ RETENTION_UNKNOWN_CROPS_HOURS: "100", RETENTION_SIGHTINGS_DAYS: "1" })),
    NOW,
  );
  assert.equal(longer.unknownCrops?.toISOString(), longer.sightings?.toISOString());
  const att = cutoffs(policyFromConfig(configSchema.parse({ RETENTION_ATTENDANCE_DAYS: "365" })), NOW);
  assert.equal(att.attendanceDay, "2025-03-31");
});

test("bad settings are refused with the variable's name", () => {
  assert.throws(() => configSchema.parse({ RETENTION_SIGHTINGS_DAYS: "-1" }), /RETENTION_SIGHTINGS_DAYS/);
  assert.throws(() => configSchema.parse({ CLEANER_INTERVAL_MINUTES: "0" }), /CLEANER_INTERVAL_MINUTES/);
  assert.throws(() => configSchema.parse({ CLEANER_RETENTION: "1" }), /CLEANER_RETENTION/);
});
