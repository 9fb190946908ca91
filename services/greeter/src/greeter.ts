import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bus, ConsumerLoop, Handler } from "@persona/bus";
import { ok, skipTrialEvents } from "@persona/bus";
import { type BlobRef, type ConsumerDecl, consumerDecl, uuidFrom } from "@persona/contracts";
import { LibraryFollower, type LibraryState } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { SessionsFollower, eventsAt } from "./eventSessions.ts";
import {
  type GreetingPolicyOptions,
  newGreeterState,
  onRecognized,
  onTrackConcluded,
  rememberGreeting,
  rememberSinceMs,
} from "./greetingPolicy.ts";
import type { AudioPlayer } from "./player.ts";

export const GREETER_CONSUMER: ConsumerDecl = consumerDecl("greeter");

export interface GreeterOptions extends GreetingPolicyOptions {
  /** Recognitions older than this (frame time) are not greeted: a backlog after downtime stays silent. */
  maxAgeMs: number;
  defaultSound: string;
  /** Where sounds from the Object Store are cached as files for the player. */
  cacheDir: string;
  /** An event session's greeting window opens this many minutes before its start (the sessions' `early`). */
  eventEarlyMinutes: number;
}

export interface GreeterDeps {
  bus: Bus;
  /** null when the machine has no audio player: greetings are still published for the console to play. */
  player: AudioPlayer | null;
  now: () => number;
  options: GreeterOptions;
  log: Logger;
}

/**
 * Starts the greeter: follows the library (for sounds) and the sessions (for events), consumes sightings, greets,
 * publishes GreetingPlayed.
 */
export async function startGreeter(
  d: GreeterDeps,
): Promise<{ library: LibraryFollower; sessions: SessionsFollower; loop: ConsumerLoop; stop(): Promise<void> }> {
  const state = newGreeterState();
  mkdirSync(d.options.cacheDir, { recursive: true });
  // a removed or erased person's sound, or one replaced, leaves the cache as soon as the library says so
  const library: LibraryFollower = new LibraryFollower(d.log, (change) => {
    if (library.ready && (change.kind === "person-removed" || change.kind === "person-upserted")) {
      pruneSoundCache(d.options.cacheDir, library.state, d.log);
    }
  });
  await library.start(d.bus.js, d.bus.jsm);
  pruneSoundCache(d.options.cacheDir, library.state, d.log);
  const sessions = new SessionsFollower(d.log);
  await sessions.start(d.bus.js);
  // the greetings already played (a restart): their cooldowns and event occurrences hold
  const since = new Date(d.now() - rememberSinceMs(d.options));
  await d.bus.replay({ stream: "SYSTEM", filter: "system.greeting.*", from: { time: since } }, (m) => {
    if (m.env?.type !== "GreetingPlayed") return;
    const at = Date.parse(m.env.occurredAt);
    if (at < since.getTime()) return;
    const events = eventsAt(sessions.state.sessions.sessions.values(), m.env.data.cameraId, at, d.options.eventEarlyMinutes);
    rememberGreeting(state, m.env.data.personId, at, events);
  });

  const soundFile = async (sound: BlobRef): Promise<string> => {
    const file = join(d.options.cacheDir, `${sound.sha256}.mp3`);
    if (existsSync(file)) return file;
    const store = await d.bus.objectStore(sound.bucket);
    const data = await store.getBlob(sound.key);
    if (!data) throw new Error(`sound ${sound.bucket}/${sound.key} is missing from the object store`);
    writeFileSync(file, data);
    return file;
  };

  const recognized: Handler<"FaceRecognized"> = async (env, ctx) => {
    const r = env.data;
    if (d.now() - Date.parse(r.frameAt) > d.options.maxAgeMs) return ok();
    const events = eventsAt(
      sessions.state.sessions.sessions.values(),
      r.cameraId,
      Date.parse(r.frameAt),
      d.options.eventEarlyMinutes,
    );
    const decision = onRecognized(state, r, d.now(), d.options, events);
    if (!decision.greet) return ok();
    const sound = library.state.people.get(r.personId)?.sound ?? null;
    let file = d.options.defaultSound;
    let usedDefault = true;
    if (sound) {
      try {
        file = await soundFile(sound);
        usedDefault = false;
      } catch (err) {
        ctx.log.warn(
          { err: (err as Error).message, personId: r.personId },
          "own greeting sound unavailable; playing the default",
        );
      }
    }
    if (d.player) {
      // never awaits the playback itself
      await d.player.play(file).catch((err: Error) => ctx.log.warn({ err: err.message }, "greeting not played"));
    }
    await d.bus.publish(
      d.bus.envelope(
        "GreetingPlayed",
        {
          personId: r.personId,
          personName: r.personName,
          cameraId: r.cameraId,
          trackId: r.trackId,
          sound: usedDefault ? null : sound,
          usedDefault,
          player: d.player?.name ?? "none",
        },
        {
          id: uuidFrom(`greeting/${env.id}`),
          correlationId: env.correlationId,
          causationId: env.id,
          // when it was played, by the greeter's clock (a restarted greeter reads it back: rememberGreeting)
          occurredAt: new Date(d.now()),
        },
      ),
    );
    const occurrences = events.map((e) => e.occurrenceId);
    ctx.log.info({ personId: r.personId, cameraId: r.cameraId, usedDefault, occurrences }, "greeted");
    return ok();
  };

  const concluded: Handler<"TrackConcluded"> = async (env) => {
    onTrackConcluded(state, env.data);
    return ok();
  };

  const loop = await d.bus.consume({
    consumer: GREETER_CONSUMER,
    concurrency: 1,
    // a trial camera (persona watch) greets no one
    handlers: skipTrialEvents({ FaceRecognized: recognized, TrackConcluded: concluded }),
  });
  return {
    library,
    sessions,
    loop,
    async stop() {
      await loop.stop();
      await library.stop();
      await sessions.stop();
    },
  };
}

/** Deletes the cached sounds (`<sha256>.mp3`) that no one in the library has as their greeting sound any more. */
export function pruneSoundCache(cacheDir: string, library: LibraryState, log: Pick<Logger, "warn">): number {
  const wanted = new Set<string>();
  for (const p of library.people.values()) if (p.sound) wanted.add(`${p.sound.sha256}.mp3`);
  let removed = 0;
  for (const name of readdirSync(cacheDir)) {
    if (!name.endsWith(".mp3") || wanted.has(name)) continue;
    try {
      rmSync(join(cacheDir, name), { force: true });
      removed++;
    } catch (err) {
      log.warn({ err: (err as Error).message, file: name }, "cannot delete a cached greeting sound");
    }
  }
  return removed;
}
