import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ServiceName } from "@persona/bus";
import { NatsServerHandle, dataDir, datasetsDir, repoRoot } from "@persona/runtime";
import { SERVICE_NAMES, healthPort, readinessOf } from "../services.ts";

interface Supervised {
  name: ServiceName;
  proc?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

const COLORS = [36, 32, 33, 35, 34, 96, 92, 93];

/** Renders one JSON log line of a service for a human (falls back to the raw line). */
function renderLine(name: string, color: number, line: string, tty: boolean): string {
  const tag = tty ? `\x1b[${color}m${name.padEnd(10)}\x1b[0m|` : `${name.padEnd(10)}|`;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { level, time, msg, service: _s, pid: _p, name: _n, hostname: _h, ...rest } = o;
    const lvl =
      typeof level === "number"
        ? (["trace", "debug", "info", "warn", "error", "fatal"][Math.floor(level / 10) - 1] ?? String(level))
        : String(level);
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
    return `${tag} ${String(time ?? "").slice(11, 23)} ${lvl.padEnd(5)} ${String(msg ?? "")}${extra}`;
  } catch {
    return `${tag} ${line}`;
  }
}

/**
 * The demo camera of a fresh install: when no cameras are configured, a labelled clip from the shared data sets
 * (PERSONA_DEMO_VIDEO, default videos/ytc_0294_02_004_angelina_jolie.avi) loops in real time, so the console has
 * something to show. Off with PERSONA_DEMO_CAMERA=off or when the clip is missing.
 */
function demoCamera(): string | null {
  if (process.env.CAMERAS || process.env.CAMERAS_FILE || process.env.PERSONA_DEMO_CAMERA === "off") return null;
  const clip = process.env.PERSONA_DEMO_VIDEO ?? join(datasetsDir(), "videos", "ytc_0294_02_004_angelina_jolie.avi");
  return existsSync(clip) ? clip : null;
}

export async function runCommand(args: { services?: string }): Promise<number> {
  const root = repoRoot();
  const data = dataDir();
  mkdirSync(data, { recursive: true });
  const tty = process.stdout.isTTY === true;
  const say = (msg: string) => process.stdout.write(`${tty ? "\x1b[1m" : ""}persona   |${tty ? "\x1b[0m" : ""} ${msg}\n`);

  const wanted = wantedServices(args.services);
  if (!wanted) return 2;
  const local = await natsToUse(data, say);
  if (!local) return 1;
  const { nats, natsUrl } = local;
  const storeUrl = process.env.STORE_URL ?? `sqlite:${join(data, "persona.db")}`;
  const demo = demoCamera();
  if (demo) say(`no CAMERAS configured: demo camera "demo" loops ${demo} (PERSONA_DEMO_CAMERA=off to disable)`);

  let stopping = false;
  if (nats) superviseNats(nats, say, () => stopping);
  const services: Supervised[] = wanted.map((name) => ({ name: name as ServiceName, restarts: 0, startedAt: 0 }));
  const launch: Launch = {
    root,
    env: (name) => serviceEnv(name, { natsUrl, storeUrl, data, demo }),
    tty,
    say,
    stopping: () => stopping,
  };

  const began = Date.now();
  for (const [i, s] of services.entries()) startService(s, COLORS[i % COLORS.length] ?? 37, launch);
  say(`started ${services.map((s) => s.name).join(", ")}; Ctrl-C stops everything`);

  // report once when everything is ready (the portal prints its URL itself)
  void (async () => {
    while (!stopping) {
      const r = await Promise.all(services.map((s) => readinessOf(s.name, healthPort(s.name), 1000)));
      if (r.every((x) => x.ready)) {
        say(`all ${r.length} services ready in ${((Date.now() - began) / 1000).toFixed(1)} s (persona status shows details)`);
        return;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  })();

  return await new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      void stopAll(sig, services, nats, say).then(() => resolve(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
  });
}

/** The services to run (--services, PERSONA_SERVICES, default all), or null after naming an unknown one. */
function wantedServices(services: string | undefined): string[] | null {
  const wanted = (services ?? process.env.PERSONA_SERVICES ?? SERVICE_NAMES.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) {
    if (!(SERVICE_NAMES as string[]).includes(w)) {
      process.stderr.write(`unknown service ${JSON.stringify(w)}; known: ${SERVICE_NAMES.join(", ")}\n`);
      return null;
    }
  }
  return wanted;
}

/** NATS_URL, or a local nats-server with JetStream under <data>/nats (null after saying why it cannot start). */
async function natsToUse(
  data: string,
  say: (msg: string) => void,
): Promise<{ nats: NatsServerHandle | undefined; natsUrl: string } | null> {
  const url = process.env.NATS_URL;
  if (url) {
    say(`using NATS at ${url}`);
    return { nats: undefined, natsUrl: url };
  }
  const port = Number(process.env.PERSONA_NATS_PORT ?? 4333);
  const natsDir = join(data, "nats");
  say(`starting nats-server with JetStream on 127.0.0.1:${port}, store ${natsDir}`);
  try {
    const nats = await NatsServerHandle.start({
      port,
      storeDir: join(natsDir, "jetstream"),
      workDir: natsDir,
      serverName: "persona-local",
      // out of the terminal's process group: Ctrl-C reaches the supervisor, which stops it after the services
      ownProcessGroup: true,
    });
    return { nats, natsUrl: nats.url };
  } catch (err) {
    process.stderr.write(`cannot start nats-server: ${(err as Error).message}\n`);
    return null;
  }
}

/** The environment of a service's process: the supervisor's, with the system's NATS, store and data folder. */
function serviceEnv(
  name: ServiceName,
  c: { natsUrl: string; storeUrl: string; data: string; demo: string | null },
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NATS_URL: c.natsUrl,
    STORE_URL: c.storeUrl,
    HEALTH_PORT: String(healthPort(name)),
    PERSONA_DATA_DIR: c.data,
    ...(name === "portal" ? portalLiveEnv(process.env) : {}),
    ...(c.demo && name === "camera"
      ? {
          CAMERAS: JSON.stringify([{ id: "demo", name: "Demo clip", source: c.demo, role: "desk", loop: true, realtime: true }]),
        }
      : {}),
  };
}

/** The camera service's live view port when LIVE_PORT is not set (services/camera/src/config.ts). */
export const DEFAULT_LIVE_PORT = 8090;

/**
 * Where the portal finds the cameras' live views: the camera service run here listens on LIVE_HOST:LIVE_PORT, so the
 * portal proxies http://<that>/cameras/<id>/live.mjpeg behind its login (GET /api/v1/cameras/<id>/live) and the
 * browser never needs the camera's port. PORTAL_CAMERA_LIVE_URL, when set, wins (PORTAL_LIVE_URLS overrides single
 * cameras in the portal).
 */
export function portalLiveEnv(env: NodeJS.ProcessEnv): { PORTAL_CAMERA_LIVE_URL: string } {
  if (env.PORTAL_CAMERA_LIVE_URL) return { PORTAL_CAMERA_LIVE_URL: env.PORTAL_CAMERA_LIVE_URL };
  const port = env.LIVE_PORT && /^\d+$/.test(env.LIVE_PORT) ? Number(env.LIVE_PORT) : DEFAULT_LIVE_PORT;
  // a camera listening on every address is reached on loopback from the portal next to it
  const host = !env.LIVE_HOST || env.LIVE_HOST === "0.0.0.0" || env.LIVE_HOST === "::" ? "127.0.0.1" : env.LIVE_HOST;
  return { PORTAL_CAMERA_LIVE_URL: `http://${host.includes(":") ? `[${host}]` : host}:${port}` };
}

/** What starting (and restarting) a service needs. */
interface Launch {
  root: string;
  env: (name: ServiceName) => NodeJS.ProcessEnv;
  tty: boolean;
  say: (msg: string) => void;
  stopping: () => boolean;
}

/** Starts a service as a child process with its log lines rendered, restarted with backoff when it exits. */
function startService(s: Supervised, color: number, l: Launch): void {
  s.startedAt = Date.now();
  const proc = spawn(process.execPath, ["--import", "tsx", join(l.root, "services", s.name, "src", "main.ts")], {
    cwd: l.root,
    env: l.env(s.name),
    stdio: ["ignore", "pipe", "pipe"],
    // its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops children in order
    detached: true,
  });
  s.proc = proc;
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream)
      createInterface({ input: stream }).on("line", (line) =>
        process.stdout.write(`${renderLine(s.name, color, line, l.tty)}\n`),
      );
  }
  proc.on("exit", (code, signal) => {
    s.proc = undefined;
    if (l.stopping()) return;
    // a service that ran for a minute has recovered: start the backoff again from the beginning
    if (Date.now() - s.startedAt > 60_000) s.restarts = 0;
    const delay = Math.min(1000 * 2 ** s.restarts, 30_000);
    s.restarts++;
    l.say(`${s.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s (restart #${s.restarts})`);
    s.timer = setTimeout(() => startService(s, color, l), delay);
  });
}

/** Stops every service (SIGTERM to its process group, SIGKILL after 15 s), then the local nats-server. */
async function stopAll(
  signal: string,
  services: readonly Supervised[],
  nats: NatsServerHandle | undefined,
  say: (msg: string) => void,
): Promise<void> {
  say(`${signal}: stopping services`);
  for (const s of services) clearTimeout(s.timer);
  const exits = services
    .filter((s) => s.proc?.pid !== undefined)
    .map((s) => {
      const proc = s.proc as ChildProcess;
      const pid = proc.pid as number;
      const exited = new Promise<void>((res) => proc.once("exit", () => res()));
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const kill = setTimeout(() => {
        say(`${s.name} did not stop in 15 s: killing it`);
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, 15_000);
      return exited.finally(() => clearTimeout(kill));
    });
  await Promise.all(exits);
  if (nats) {
    say("stopping nats-server");
    await nats.stop();
  }
  say("stopped");
}

/**
 * Restarts the local nats-server when it dies (killed, crashed) with the services' backoff (1 s doubling to 30 s,
 * reset after a minute up): the services reconnect by themselves, JetStream's store is on disk.
 */
function superviseNats(nats: NatsServerHandle, say: (msg: string) => void, stopping: () => boolean): void {
  let restarts = 0;
  let upSince = Date.now();
  const relaunch = async (): Promise<void> => {
    if (stopping()) return;
    try {
      await nats.relaunch();
      upSince = Date.now();
      say(`nats-server is back on ${nats.url}`);
    } catch (err) {
      onExit(null, null, (err as Error).message);
    }
  };
  const onExit = (code: number | null, signal: NodeJS.Signals | null, why?: string) => {
    if (stopping()) return;
    if (Date.now() - upSince > 60_000) restarts = 0;
    const delay = Math.min(1000 * 2 ** restarts, 30_000);
    restarts++;
    say(
      `nats-server ${why ? `could not start: ${why}` : `exited (${signal ?? `code ${code}`})`}; restarting in ${delay / 1000} s (restart #${restarts})`,
    );
    setTimeout(() => void relaunch(), delay).unref();
  };
  nats.onUnexpectedExit = (code, signal) => onExit(code, signal);
}
