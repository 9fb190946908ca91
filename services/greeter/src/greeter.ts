import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bus, ConsumerLoop, Handler } from "@persona/bus";
import { ok, skipTrialEvents } from "@persona/bus";
import { type BlobRef, type ConsumerDecl, consumerDecl, uuidFrom } from "@persona/contracts";
import { LibraryFollower } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { type GreetingPolicyOptions, newGreeterState, onRecognized, onTrackConcluded } from "./greetingPolicy.ts";
import type { AudioPlayer } from "./player.ts";

export const GREETER_CONSUMER: ConsumerDecl = consumerDecl("greeter");

export interface GreeterOptions extends GreetingPolicyOptions {
  /** Recognitions older than this (frame time) are not greeted: a backlog after downtime stays silent. */
  maxAgeMs: number;
  defaultSound: string;
  /** Where sounds from the Object Store are cached as files for the player. */
  cacheDir: string;
}

export interface GreeterDeps {
  bus: Bus;
  /** null when the machine has no audio player: greetings are still published for the console to play. */
  player: AudioPlayer | null;
  now: () => number;
  options: GreeterOptions;
  log: Logger;
}

/** Starts the greeter: follows the library (for sounds), consumes sightings, greets, publishes GreetingPlayed. */
export async function startGreeter(
  d: GreeterDeps,
): Promise<{ library: LibraryFollower; loop: ConsumerLoop; stop(): Promise<void> }> {
  const state = newGreeterState();
  const library = new LibraryFollower(d.log);
  await library.start(d.bus.js, d.bus.jsm);
  mkdirSync(d.options.cacheDir, { recursive: true });

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
    const decision = onRecognized(state, r, d.now(), d.options);
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
        { id: uuidFrom(`greeting/${env.id}`), correlationId: env.correlationId, causationId: env.id },
      ),
    );
    ctx.log.info({ personId: r.personId, cameraId: r.cameraId, usedDefault }, "greeted");
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
    loop,
    async stop() {
      await loop.stop();
      await library.stop();
    },
  };
}
