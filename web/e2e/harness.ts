/**
 * The console's end-to-end harness: a real nats-server, a real SQLite store in a temp dir, the real recognizer and
 * portal in-process, real cameras playing clips, the web app built by Vite into a temp dir, and Debian's Chromium
 * driven by playwright-core (never a downloaded browser).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type Logger, NATS_SERVER_BIN, createLogger, datasetsDir } from "@persona/runtime";
import { type CameraService, configSchema as cameraConfigSchema, startCameraService } from "@persona/service-camera";
import { type PortalOptions, type RunningPortal, startPortal } from "@persona/service-portal";
import { type RunningRecognizer, configSchema as recognizerConfigSchema, startRecognizer } from "@persona/service-recognizer";
import { type DocumentStore, openStore } from "@persona/store";
import { type NatsServerHandle, startNatsServer } from "@persona/testing";
import { MODEL_FILES, resolveModelPath } from "@persona/vision";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = resolve(here, "..");
export const REPO = resolve(WEB_DIR, "..");
export const SCREENSHOTS = join(REPO, "artifacts", "screenshots");
export const DATA = datasetsDir();
export const VIDEOS = join(DATA, "videos");
export const lfw = (person: string, n = 1) => join(DATA, "lfw", person, `${person}_${String(n).padStart(4, "0")}.jpg`);

/** Why the browser tests cannot run here, or undefined. */
export function skipReason(clips: string[] = []): string | undefined {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install chromium); no browser is downloaded`;
  if (!existsSync(NATS_SERVER_BIN)) return `nats-server not found at ${NATS_SERVER_BIN}`;
  for (const m of [MODEL_FILES.blazeface, "dlib-resnet29.onnx"]) {
    if (!existsSync(resolveModelPath(m))) return `model ${m} not built (run make models)`;
  }
  for (const c of clips) if (!existsSync(join(VIDEOS, c))) return `clip ${c} not found in ${VIDEOS} (set PERSONA_DATASETS)`;
  if (!existsSync(lfw("Angelina_Jolie"))) return `LFW not found in ${DATA}/lfw (set PERSONA_DATASETS)`;
  if (spawnSync("ffmpeg", ["-version"]).status !== 0) return "ffmpeg is not installed";
  return undefined;
}

/** Builds the web app with Vite into a fresh temp dir (never stale, never racing another build of web/dist). */
export function buildWeb(outDir: string): void {
  const vite = join(REPO, "node_modules", "vite", "bin", "vite.js");
  const r = spawnSync(process.execPath, [vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: WEB_DIR,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0 || !existsSync(join(outDir, "index.html"))) {
    throw new Error(`vite build failed (${r.status}): ${r.stderr || r.stdout}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface CameraPlan {
  id: string;
  role: "perimeter" | "entrance" | "classroom" | "exam-room" | "desk";
  livePort: number;
}

export const ADMIN = { username: "admin", password: "admin-e2e-pass" };

export class System {
  nats!: NatsServerHandle;
  bus!: Bus;
  recognizerBus!: Bus;
  portalBus!: Bus;
  store!: DocumentStore;
  recognizer!: RunningRecognizer;
  portal!: RunningPortal;
  portalOptions!: PortalOptions;
  browser!: Browser;
  dir = "";
  readonly cameras: CameraService[] = [];
  readonly log: Logger = createLogger("e2e", process.env.LOG_LEVEL ?? "silent");

  constructor(readonly plans: CameraPlan[]) {}

  /** The portal's sessions clock (tests move time forward to end an occurrence); default Date.now. */
  clock: (() => number) | undefined;

  /** The live port of the camera service that runs the managed cameras (`startCameraFleet`); 0 when none. */
  fleetLivePort = 0;

  /** `managedCameras`: the portal takes live views of cameras outside the plan from the camera service that
   * `startCameraFleet` starts (PORTAL_CAMERA_LIVE_URL). */
  static async start(
    cameraIds: { id: string; role: CameraPlan["role"] }[],
    o: { managedCameras?: boolean; clock?: () => number } = {},
  ): Promise<System> {
    const plans: CameraPlan[] = [];
    for (const c of cameraIds) plans.push({ ...c, livePort: await freePort() });
    const s = new System(plans);
    if (o.managedCameras) s.fleetLivePort = await freePort();
    if (o.clock) s.clock = o.clock;
    try {
      await s.#start();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  async #start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "persona-web-e2e-"));
    const dist = join(this.dir, "web-dist");
    buildWeb(dist);
    this.nats = await startNatsServer();
    this.bus = await testBus(this.nats.url, "e2e");
    this.recognizerBus = await testBus(this.nats.url, "recognizer");
    this.recognizer = await startRecognizer(this.recognizerBus, recognizerConfigSchema.parse({}), this.log);
    this.store = await openStore({ url: `sqlite:${join(this.dir, "persona.db")}` });
    this.portalBus = await testBus(this.nats.url, "portal");
    this.portalOptions = {
      bus: this.portalBus,
      store: this.store,
      log: this.log,
      port: 0,
      host: "127.0.0.1",
      admin: ADMIN,
      webDist: dist,
      timeZone: "UTC",
      liveUrls: Object.fromEntries(this.plans.map((p) => [p.id, `http://127.0.0.1:${p.livePort}/cameras/${p.id}/live.mjpeg`])),
      ...(this.fleetLivePort ? { cameraLiveUrl: `http://127.0.0.1:${this.fleetLivePort}` } : {}),
      ...(this.clock ? { clock: this.clock, sessionsTickMs: 200 } : {}),
    };
    this.portal = await startPortal(this.portalOptions);
    // a restart keeps the address (the browser reconnects to the same origin)
    this.portalOptions.port = this.portal.port;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }

  get url(): string {
    return this.portal.url;
  }

  /** Stops the portal (HTTP, socket.io, its consumers) and its NATS connection, as a process exit would. */
  async stopPortal(): Promise<void> {
    await this.portal.stop();
    await this.portalBus.close();
  }

  /** Starts the portal again, on the same port, with a new NATS connection and the same store. */
  async startPortalAgain(): Promise<void> {
    this.portalBus = await testBus(this.nats.url, "portal");
    this.portalOptions.bus = this.portalBus;
    this.portal = await startPortal(this.portalOptions);
  }

  /** Plays a clip once (at its own frame rate) through a camera of the plan; resolves when the source ended. */
  async play(cameraId: string, clip: string): Promise<CameraService> {
    const plan = this.plans.find((p) => p.id === cameraId);
    if (!plan) throw new Error(`camera ${cameraId} is not in the plan`);
    const config = cameraConfigSchema.parse({
      CAMERAS: JSON.stringify([{ id: plan.id, source: join(VIDEOS, clip), role: plan.role, loop: false, realtime: true }]),
      LIVE_PORT: String(plan.livePort),
      // a clip's one-off camera service: the managed cameras belong to startCameraFleet's
      CAMERA_GROUP: "off",
    });
    const camera = await startCameraService({ config, bus: this.bus, log: this.log });
    this.cameras.push(camera);
    return camera;
  }

  /** A camera service with no bootstrap cameras that runs the managed ones (added in the console), files from VIDEOS. */
  async startCameraFleet(): Promise<CameraService> {
    if (!this.fleetLivePort) throw new Error("System.start(..., { managedCameras: true }) first");
    const config = cameraConfigSchema.parse({
      LIVE_PORT: String(this.fleetLivePort),
      MANAGED_FILES_DIR: VIDEOS,
      HEALTH_REPORT_MS: "500",
    });
    const camera = await startCameraService({ config, bus: this.bus, log: this.log });
    this.cameras.push(camera);
    return camera;
  }

  /** Waits for a camera's source to end, then stops it (its tracks end and are concluded). */
  async finish(camera: CameraService): Promise<void> {
    await camera.runners[0]?.start();
    await camera.stop();
  }

  async newPage(viewport = { width: 1366, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport, baseURL: this.url });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return { context, page };
  }

  /** Runs `f` on a new page; its browser context is closed afterwards, whatever `f` did. */
  async withPage<T>(f: (page: Page) => Promise<T>, viewport?: { width: number; height: number }): Promise<T> {
    const { context, page } = await this.newPage(viewport);
    try {
      return await f(page);
    } finally {
      await context.close();
    }
  }

  async stop(): Promise<void> {
    const quiet = async (f: () => Promise<unknown> | undefined) => {
      try {
        await f();
      } catch {
        // best effort: everything below is torn down anyway
      }
    };
    await quiet(() => this.browser?.close());
    for (const c of this.cameras) await quiet(() => c.stop());
    await quiet(() => this.portal?.stop());
    await quiet(() => this.recognizer?.stop());
    await quiet(() => this.portalBus?.close());
    await quiet(() => this.recognizerBus?.close());
    await quiet(() => this.bus?.close());
    await quiet(() => this.store?.close());
    await quiet(() => this.nats?.dispose());
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("whoami").waitFor();
  await page.getByTestId("connection").filter({ hasText: "live" }).waitFor();
}

/** Navigates inside the app (history API, no reload). */
export async function go(page: Page, nav: string): Promise<void> {
  await page.getByTestId(`nav-${nav}`).click();
}

export async function shot(page: Page, name: string): Promise<void> {
  // from the top: the sticky header would otherwise be drawn where the page was scrolled to
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** fetch() from the page, with the page's session cookie and CSRF token. */
export async function apiFromPage(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = (await (await fetch("/api/v1/auth/me")).json()) as { csrfToken: string };
      const res = await fetch(path, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": me.csrfToken },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    { method, path, body },
  );
}
