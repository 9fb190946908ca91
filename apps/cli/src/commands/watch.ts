import { Bus } from "@persona/bus";
import { AnyEnvelopeSchema, type EnvelopeOf, TRIAL_CAMERA_PREFIX, Token, isTrialCamera, trialCameraId } from "@persona/contracts";
import { type Logger, NatsServerHandle, ServiceMetrics, createLogger } from "@persona/runtime";
import { startCameraService } from "@persona/service-camera";
import { configSchema as cameraConfigSchema } from "@persona/service-camera";
import { configSchema as recognizerConfigSchema, startRecognizer } from "@persona/service-recognizer";
import { connectCli, ensureTopology } from "../client/connect.ts";
import { NatsUnavailableError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";
import { importCommand } from "./import.ts";

export interface WatchArgs {
  source: string;
  once: boolean;
  json: boolean;
  cameraId?: string;
  realtime: boolean;
  standalone: boolean;
  /**
   * Let the running system record the camera's sightings as any camera's. Default false: a trial camera (its id with
   * the reserved prefix, @persona/contracts' trial.ts) that nothing records and the console forgets when it ends.
   */
  record?: boolean;
  enroll?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The stable JSON line `persona watch --json` prints per finished track. */
export function watchRecord(e: EnvelopeOf<"TrackConcluded">) {
  const d = e.data;
  return {
    version: 1 as const,
    cameraId: d.cameraId,
    trackId: d.trackId,
    startedAt: d.startedAt,
    endedAt: d.endedAt,
    frames: d.frames,
    shots: d.shots,
    bestQuality: d.bestQuality,
    decision: d.outcome.kind,
    personId: d.outcome.kind === "recognized" ? d.outcome.personId : null,
    name: d.outcome.kind === "recognized" ? d.outcome.personName : null,
    score:
      d.outcome.kind === "recognized" ? d.outcome.similarity : d.outcome.kind === "unknown" ? d.outcome.bestSimilarity : null,
    reason: d.outcome.kind === "undecided" ? d.outcome.reason : null,
  };
}

function renderLine(r: ReturnType<typeof watchRecord>): string {
  const time = (iso: string) => iso.slice(11, 23);
  const decision =
    r.decision === "recognized"
      ? `${r.name} (${r.personId}) score ${r.score?.toFixed(3)}`
      : r.decision === "unknown"
        ? `unknown (best score ${r.score?.toFixed(3)})`
        : `undecided: ${r.reason}`;
  return `${r.cameraId}  ${r.trackId}  ${time(r.startedAt)}-${time(r.endedAt)}  ${String(r.frames).padStart(4)} frames  q ${r.bestQuality.toFixed(2)}  ${decision}\n`;
}

export async function watchCommand(args: WatchArgs, out: Output = stdio()): Promise<number> {
  const given = args.cameraId ?? `watch-${Math.random().toString(36).slice(2, 6)}`;
  if (!Token.safeParse(given).success)
    throw new UsageError(`--camera-id ${JSON.stringify(given)}: letters, digits, '_' and '-' only`);
  if (args.record && isTrialCamera(given))
    throw new UsageError(`--camera-id ${given}: "${TRIAL_CAMERA_PREFIX}" is reserved for cameras that are not recorded`);
  // not recorded: the trial prefix marks every event of the camera, and the recording consumers skip them
  const cameraId = args.record ? given : trialId(given);
  const env = args.env ?? process.env;
  const quiet = createLogger("watch", env.LOG_LEVEL ?? "warn");
  const cleanups: Cleanups = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };

  try {
    const b = await watchBus({ args, env, quiet, out, cleanups });
    if (!b) return 2;

    // follow the conclusions (and count the tracks the camera ends) before the camera starts
    const tracks = followConclusions(b, cameraId, args.json, out);
    cleanups.push(async () => tracks.stop());

    const isFile = !/^[a-z]+:\/\//i.test(args.source) && !args.source.startsWith("/dev/");
    const config = cameraConfigSchema.parse({
      CAMERAS: JSON.stringify([
        { id: cameraId, source: args.source, role: "desk", loop: isFile && !args.once, realtime: args.realtime },
      ]),
      LIVE_PORT: "0",
      // the site's managed cameras belong to its camera services, not to this one-off
      CAMERA_GROUP: "off",
      ...(env.ALIGN_LANDMARKS ? { ALIGN_LANDMARKS: env.ALIGN_LANDMARKS } : {}),
    });
    const camera = await startCameraService({ config, bus: b, log: quiet });
    cleanups.push(() => camera.stop());
    const runner = camera.runners[0];
    if (!runner) throw new Error("the camera did not start");

    const interrupted = new Promise<"interrupted">((resolve) => {
      process.once("SIGINT", () => resolve("interrupted"));
      process.once("SIGTERM", () => resolve("interrupted"));
    });
    const finished = await Promise.race([runner.start().then(() => "ended" as const), interrupted]);
    const status = runner.lastStatus;
    if (finished === "ended" && status?.state === "failed") {
      out.stderr(`source failed: ${status.message}\n`);
      return 1;
    }
    if (finished === "ended") {
      // the source ended: wait for the recognizer to conclude every track the camera ended
      // every track that published a shot ends with FaceTrackEnded; its message may still be on the way
      tracks.ended = Math.max(tracks.ended, runner.stats.tracksPublished);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        tracks.allConcluded(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, args.timeoutMs ?? 60_000);
        }),
      ]);
      clearTimeout(timer);
      if (tracks.concluded < tracks.ended) {
        out.stderr(`${tracks.ended - tracks.concluded} track(s) not concluded within the timeout: is a recognizer running?\n`);
        return 1;
      }
    }
    out.stderr(`${tracks.concluded} track(s) concluded\n`);
    return 0;
  } finally {
    await cleanup();
  }
}

/** The trial camera id of a watch camera id (`watch-ab12` -> `_watch-ab12`, `desk` -> `_watch-desk`). */
function trialId(given: string): string {
  try {
    return trialCameraId(given.replace(/^watch-/, ""));
  } catch {
    throw new UsageError(`--camera-id ${given}: too long with the "${TRIAL_CAMERA_PREFIX}" prefix of a trial camera`);
  }
}

/** What to undo when the command ends, in reverse order. */
type Cleanups = (() => Promise<void>)[];

/** One run of the command: its arguments, environment, quiet logger and output, and what to undo when it ends. */
interface WatchRun {
  args: WatchArgs;
  env: NodeJS.ProcessEnv;
  quiet: Logger;
  out: Output;
  cleanups: Cleanups;
}

/**
 * The running system's bus or, with --standalone or when no system answers, a private one with its own recognizer;
 * null when --enroll's import failed on a usage error.
 */
async function watchBus(run: WatchRun): Promise<Bus | null> {
  const { args, env, out, cleanups } = run;
  if (!args.standalone) {
    try {
      const bus = await connectCli({ env });
      await ensureTopology(bus);
      cleanups.push(() => bus.close());
      return bus;
    } catch (err) {
      if (!(err instanceof NatsUnavailableError)) throw err;
      out.stderr(`${err.message}\nno running system: watching stand-alone with a private NATS and recognizer\n`);
    }
  }
  return await standaloneBus(run);
}

/** A private nats-server and recognizer in this process, its library enrolled from --enroll DIR when given. */
async function standaloneBus({ args, env, quiet, out, cleanups }: WatchRun): Promise<Bus | null> {
  const server = await NatsServerHandle.start();
  cleanups.push(() => server.dispose());
  const bus = await Bus.connect({ url: server.url, service: "watch", log: quiet, metrics: new ServiceMetrics("watch") });
  cleanups.push(() => bus.close());
  await bus.applyTopology();
  const recognizerSettings = recognizerConfigSchema.parse(
    Object.fromEntries(
      Object.entries(env).filter(([k]) => k.startsWith("RECOGNIZER_") || k.startsWith("ENROLL_") || k === "ALIGN_LANDMARKS"),
    ),
  );
  const recognizer = await startRecognizer(bus, recognizerSettings, quiet);
  cleanups.push(() => recognizer.stop());
  if (args.enroll) {
    const code = await importCommand(
      { dir: args.enroll, json: false, dryRun: false, retryRejected: false, env: { ...env, NATS_URL: server.url } },
      { ...out, stdout: (t) => out.stderr(t) },
    );
    if (code === 2) return null;
  } else {
    out.stderr("stand-alone with an empty library: every track will be unknown (use --enroll DIR)\n");
  }
  return bus;
}

/**
 * Counts the tracks the camera ends and prints each track's conclusion once as it comes; `allConcluded` resolves
 * when every ended track is concluded.
 */
function followConclusions(b: Bus, cameraId: string, json: boolean, out: Output) {
  const tracks = { ended: 0, concluded: 0 };
  const seen = new Set<string>();
  let allConcluded: (() => void) | null = null;
  const check = () => {
    if (allConcluded && tracks.concluded >= tracks.ended) allConcluded();
  };
  const endedSub = b.nc.subscribe(`detections.${cameraId}.track-ended`, {
    callback: () => {
      tracks.ended++;
      check();
    },
  });
  const concludedSub = b.nc.subscribe(`sightings.${cameraId}.concluded`, {
    callback: (_err, msg) => {
      const parsed = AnyEnvelopeSchema.safeParse(msg.json());
      if (!parsed.success || parsed.data.type !== "TrackConcluded" || seen.has(parsed.data.id)) return;
      seen.add(parsed.data.id);
      tracks.concluded++;
      const r = watchRecord(parsed.data);
      out.stdout(json ? `${JSON.stringify(r)}\n` : renderLine(r));
      check();
    },
  });
  return Object.assign(tracks, {
    allConcluded: () =>
      new Promise<void>((resolve) => {
        allConcluded = resolve;
        check();
      }),
    stop: () => {
      endedSub.unsubscribe();
      concludedSub.unsubscribe();
    },
  });
}
