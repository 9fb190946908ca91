import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Bus } from "@persona/bus";
import { personEnrolled, streamEnvelopes, testBus } from "@persona/bus/testing";
import type { DataOf } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import { startNatsServer, waitFor, tempDir } from "@persona/testing";
import { DEFAULT_SOUND } from "./config.ts";
import { startGreeter } from "./greeter.ts";
import { type AudioPlayer, detectPlayer } from "./player.ts";

const quality = { score: 0.9, faceSize: 120, eyeDistance: 45, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };
const crop = { kind: "inline" as const, contentType: "image/jpeg" as const, base64: Buffer.from("x").toString("base64") };

/** Audio output is a true edge: a strict recorder stands in for the speaker. */
class RecordingPlayer implements AudioPlayer {
  readonly name = "recorder";
  readonly played: string[] = [];
  async play(file: string): Promise<void> {
    this.played.push(file);
  }
}

const greetings = (bus: Bus) => streamEnvelopes(bus, "SYSTEM", "GreetingPlayed");

/** The greeter on `bus` with the test's options (45 s cooldown, 15 min early for events), its sounds cached in `cacheDir`. */
const startTestGreeter = (bus: Bus, player: AudioPlayer, now: () => number, cacheDir: string) =>
  startGreeter({
    bus,
    player,
    now,
    log: createLogger("greeter-test", "silent"),
    options: {
      cooldownMs: 45_000,
      staleTrackMs: 120_000,
      maxAgeMs: 30_000,
      defaultSound: DEFAULT_SOUND,
      cacheDir,
      eventEarlyMinutes: 15,
    },
  });

/** Ann in the library with her own sound (the default sound's bytes, stored as hers); its bytes and sha256. */
async function annWithHerSound(bus: Bus): Promise<{ soundBytes: Buffer; sha256: string }> {
  const soundBytes = readFileSync(DEFAULT_SOUND);
  const sha256 = createHash("sha256").update(soundBytes).digest("hex");
  await (await bus.objectStore("sounds")).putBlob({ name: `ann/${sha256}.mp3` }, soundBytes);
  const sound = { bucket: "sounds", key: `ann/${sha256}.mp3`, contentType: "audio/mpeg", size: soundBytes.length, sha256 };
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Ann", { sound })));
  return { soundBytes, sha256 };
}

/** Ann confirmed on track `trackId` of the desk camera, in a frame taken at `at` (ms). */
const annRecognized = (bus: Bus, trackId: string, at: number) =>
  bus.envelope("FaceRecognized", {
    cameraId: "desk",
    trackId,
    detectionId: crypto.randomUUID(),
    personId: "ann",
    personName: "Ann",
    similarity: 0.95,
    margin: 0.2,
    decision: "confirmed",
    votes: { agreeing: 2, total: 2 },
    quality,
    frameAt: new Date(at).toISOString(),
    crop,
    via: "embedding",
  });

test("greeter: ten recognitions in a minute greet once with the person's own sound; after leaving and the cooldown, again", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "greeter");
  t.after(() => bus.close());
  const cache = tempDir(t, "greeter-");

  // a person with their own sound in the library
  const { soundBytes } = await annWithHerSound(bus);

  let now = Date.parse("2026-03-01T09:00:00Z");
  const player = new RecordingPlayer();
  const greeter = await startTestGreeter(bus, player, () => now, cache);
  t.after(() => greeter.stop());

  const recognized = (trackId: string) => annRecognized(bus, trackId, now);

  for (let i = 0; i < 10; i++) {
    await bus.publish(recognized("t1"));
    now += 5000; // ten recognitions within 50 s
  }
  await waitFor(
    async () =>
      (await bus.jsm.consumers.info("SIGHTINGS", "greeter")).num_pending === 0 &&
      (await bus.jsm.consumers.info("SIGHTINGS", "greeter")).num_ack_pending === 0,
  );
  let g = await greetings(bus);
  assert.equal(g.length, 1, "one greeting for ten recognitions");
  assert.equal(g[0]?.data.usedDefault, false);
  assert.equal(player.played.length, 1);
  assert.equal(readFileSync(player.played[0] as string).equals(soundBytes), true, "the person's own sound was played");

  // Ann leaves (track concluded) and comes back after the cooldown
  await bus.publish(
    bus.envelope("TrackConcluded", {
      cameraId: "desk",
      trackId: "t1",
      startedAt: new Date(now - 50_000).toISOString(),
      endedAt: new Date(now).toISOString(),
      frames: 250,
      shots: 10,
      bestQuality: 0.9,
      outcome: { kind: "recognized", personId: "ann", personName: "Ann", similarity: 0.95 },
    }),
  );
  now += 46_000;
  await bus.publish(recognized("t2"));
  g = await waitFor(async () => {
    const x = await greetings(bus);
    return x.length === 2 ? x : undefined;
  });
  assert.equal(g[1]?.data.trackId, "t2");
  assert.equal(player.played.length, 2);
});

test("the sound path works: a real MP3 is decoded by a real player subprocess (to a null sink)", async () => {
  const finished: (Error | null)[] = [];
  const player = detectPlayer("ffmpeg-null", (err) => finished.push(err));
  assert.ok(player, "ffmpeg is installed (Debian package ffmpeg)");
  const started = Date.now();
  await player.play(DEFAULT_SOUND);
  assert.ok(Date.now() - started < 200, "play() does not block on playback");
  await waitFor(() => finished.length === 1, { timeoutMs: 10_000 });
  assert.equal(finished[0], null, "decoded without error");
  const broken = join(mkdtempSync(join(tmpdir(), "greeter-")), "broken.mp3");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(broken, "not audio");
  await player.play(broken);
  await waitFor(() => finished.length === 2, { timeoutMs: 10_000 });
  assert.match(String(finished[1]?.message), /ffmpeg-null exited with/);
});

test("greeter: the cached sound of a removed person leaves the disk, and a stale one is gone at start", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "greeter");
  t.after(() => bus.close());
  const cache = tempDir(t, "greeter-");
  const stale = join(cache, `${"0".repeat(64)}.mp3`);
  writeFileSync(stale, "a sound of someone erased while the greeter was down");

  const { sha256 } = await annWithHerSound(bus);
  const now = Date.now();
  const greeter = await startTestGreeter(bus, new RecordingPlayer(), () => now, cache);
  t.after(() => greeter.stop());
  assert.equal(existsSync(stale), false, "a sound no one in the library has is deleted at start");

  await bus.publish(annRecognized(bus, "t1", now));
  const cached = join(cache, `${sha256}.mp3`);
  await waitFor(() => existsSync(cached), { message: "Ann's sound cached by her greeting" });
  await bus.publish(bus.envelope("PersonRemoved", { personId: "ann", reason: "erased", by: "test" }));
  await waitFor(() => !existsSync(cached), { message: "Ann's cached sound deleted once she is removed" });
});

/** A one-off session on 2026-03-01 (UTC) at the desk camera. */
const sessionOn = (sessionId: string, kind: "event" | "class", start: string, end: string): DataOf<"SessionScheduled"> => ({
  sessionId,
  name: `${kind} ${sessionId}`,
  kind,
  cameras: ["desk"],
  timeZone: "UTC",
  start,
  end,
  firstDate: "2026-03-01",
  recurrence: { kind: "none" },
  exceptions: [],
  roster: { groups: [], people: ["ann"] },
  graceMinutes: 0,
  owner: "organiser",
});

test("greeter at an event: once per occurrence (early window included), whatever the cooldown; a class or no session: the visit rules", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "greeter");
  t.after(() => bus.close());
  await annWithHerSound(bus);
  // scheduled before the greeter starts (replayed) ...
  await bus.publish(bus.envelope("SessionScheduled", sessionOn("conf", "event", "10:00", "12:00")));
  await bus.publish(bus.envelope("SessionScheduled", sessionOn("lecture", "class", "13:00", "14:00")));
  let now = Date.parse("2026-03-01T09:50:00Z");
  const start = () => startTestGreeter(bus, new RecordingPlayer(), () => now, tempDir(t, "greeter-"));
  const g = await start();
  t.after(() => g.stop());
  // ... and one while it runs (followed live)
  const evening = await bus.publish(bus.envelope("SessionScheduled", sessionOn("evening", "event", "18:00", "19:00")));
  await g.sessions.waitForSeq(evening.seq);

  let track = 0;
  /** Ann comes to the desk at `hh:mm`, is recognised, and leaves: whether she was greeted. */
  const visit = async (hhmm: string): Promise<boolean> => {
    now = Date.parse(`2026-03-01T${hhmm}:00Z`);
    const before = (await greetings(bus)).length;
    const trackId = `t${++track}`;
    await bus.publish(annRecognized(bus, trackId, now));
    await bus.publish(
      bus.envelope("TrackConcluded", {
        cameraId: "desk",
        trackId,
        startedAt: new Date(now).toISOString(),
        endedAt: new Date(now + 1000).toISOString(),
        frames: 25,
        shots: 1,
        bestQuality: 0.9,
        outcome: { kind: "recognized", personId: "ann", personName: "Ann", similarity: 0.95 },
      }),
    );
    await waitFor(async () => {
      const c = await bus.jsm.consumers.info("SIGHTINGS", "greeter");
      return c.num_pending === 0 && c.num_ack_pending === 0;
    });
    return (await greetings(bus)).length > before;
  };

  assert.equal(await visit("09:50"), true, "10 minutes before the event: within its early window, greeted");
  assert.equal(await visit("10:30"), false, "back during the same event, long after the cooldown: not again");
  assert.equal(await visit("11:59"), false, "still the same event");
  assert.equal(await visit("12:05"), true, "after the event: the visit rules again");
  assert.equal(await visit("13:10"), true, "a class is not an event");
  assert.equal(await visit("13:30"), true, "at a class, the cooldown alone");
  assert.equal(await visit("18:10"), true, "the event scheduled while the greeter ran");
  assert.equal(await visit("18:40"), false, "once per event");

  // a restarted greeter reads back the greetings it played: still once per event, and the cooldown holds
  await g.stop();
  const again = await start();
  t.after(() => again.stop());
  assert.equal(await visit("18:50"), false, "after a restart, still once per event");
  assert.equal(await visit("19:30"), true, "after the event, greeted again");
});
