/**
 * The portal's sessions consumer on a real nats-server: one week of a 300-person course (the @persona/sessions bench's
 * week: 40 sessions on 10 cameras, ~37k sightings, corrections) published on the bus, followed live by the consumer
 * (time per sighting: the consumer's own time per message, and the wall time until it has caught up), then a second
 * consumer rebuilt from the streams (the rebuild time), whose views must equal the first's.
 *
 *   node --import tsx services/portal/bench/sessions-consumer.bench.ts [--json]
 */
import { randomUUID } from "node:crypto";
import { personEnrolled, testBus } from "@persona/bus/testing";
import type { AnyEnvelope } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { attendanceView } from "@persona/sessions";
import { startNatsServer } from "@persona/testing";
import { week } from "@persona/sessions/bench";
import { SessionsConsumer } from "../src/sessions/consumer.ts";

const QUALITY = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
const CROP = {
  kind: "inline" as const,
  contentType: "image/jpeg" as const,
  base64: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString("base64"),
};

async function main() {
  const json = process.argv.includes("--json");
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "portal");
  await bus.applyTopology();
  const log = createLogger("bench", "silent");
  const { defs, items } = week();
  const clock = () => Date.parse("2025-09-06T00:00:00Z");

  for (const e of defs) {
    const env =
      e.type === "PersonEnrolled"
        ? bus.envelope("PersonEnrolled", personEnrolled(e.data.personId, e.data.name))
        : bus.envelope(e.type as "GroupCreated", e.data as never);
    await bus.publish(env as AnyEnvelope);
  }
  const live = new SessionsConsumer({ bus, log, clock, tickMs: 0 });
  await live.start();
  const appliedAtStart = live.applied;

  const envelopes: AnyEnvelope[] = items.map((item) => {
    if ("event" in item) return bus.envelope(item.event.type as "AttendanceCorrected", item.event.data as never) as AnyEnvelope;
    const o = item.observation;
    const frameAt = new Date(o.at).toISOString();
    if (o.personId === null) {
      return bus.envelope("UnknownFaceSeen", {
        cameraId: o.cameraId,
        trackId: o.trackId,
        detectionId: randomUUID(),
        bestSimilarity: o.score,
        bestPersonId: null,
        quality: QUALITY,
        frameAt,
        crop: CROP,
        embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
      }) as AnyEnvelope;
    }
    return bus.envelope("FaceRecognized", {
      cameraId: o.cameraId,
      trackId: o.trackId,
      detectionId: randomUUID(),
      personId: o.personId,
      personName: o.personId,
      similarity: o.score,
      margin: 0.2,
      decision: o.decision === "unknown" ? "probable" : o.decision,
      votes: { agreeing: 2, total: 2 },
      quality: QUALITY,
      frameAt,
      crop: CROP,
      via: "embedding",
    }) as AnyEnvelope;
  });
  const sightings = envelopes.filter((e) => e.type !== "AttendanceCorrected").length;

  const t0 = performance.now();
  let lastSeq = 0;
  const inFlight = new Set<Promise<void>>();
  for (const env of envelopes) {
    const p = bus.publish(env).then((ack) => {
      if (env.type !== "AttendanceCorrected") lastSeq = Math.max(lastSeq, ack.seq);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const published = performance.now() - t0;
  if (!(await live.waitFor("SIGHTINGS", lastSeq, 600_000))) throw new Error("the consumer did not catch up");
  const caughtUp = performance.now() - t0;

  const rebuilt = new SessionsConsumer({ bus, log, clock, tickMs: 0 });
  await rebuilt.start();
  const views = (c: SessionsConsumer) =>
    JSON.stringify(
      Object.keys(c.fold.projection.occurrences)
        .sort()
        .map((id) => attendanceView(c.fold.projection.occurrences[id] as never, clock())),
    );
  const same = views(live) === views(rebuilt);
  const alerts = await bus.jsm.streams.info("ALERTS");
  const result = {
    sightings,
    messagesApplied: live.applied,
    occurrences: Object.keys(live.fold.projection.occurrences).length,
    liveConsumerUsPerMessage: Number(((live.liveMs * 1000) / Math.max(1, live.applied - appliedAtStart)).toFixed(1)),
    liveConsumerMsTotal: Math.round(live.liveMs),
    publishMs: Math.round(published),
    caughtUpMs: Math.round(caughtUp),
    wallUsPerSighting: Number(((caughtUp * 1000) / sightings).toFixed(1)),
    rebuildMs: Math.round(rebuilt.rebuildMs),
    rebuildMessages: rebuilt.applied,
    rebuildUsPerMessage: Number(((rebuilt.rebuildMs * 1000) / rebuilt.applied).toFixed(1)),
    alertsRaised: alerts.state.messages,
    rebuildEqualsLive: same,
  };
  await live.stop();
  await rebuilt.stop();
  await bus.close();
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log("sessions consumer (portal) on a real nats-server, one week of a 300-person course");
    for (const [k, v] of Object.entries(result)) console.log(`  ${k}: ${v}`);
  }
  if (!same) process.exitCode = 1;
}

await main();
