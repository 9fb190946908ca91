import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type NatsServerHandle, createLogger } from "@persona/runtime";
import { type DocumentStore, openStore } from "@persona/store";
import { startNatsServer, waitFor } from "@persona/testing";
import { type PortalOptions, type RunningPortal, startPortal } from "./app.ts";

/** Test harness: a real nats-server, a SQLite store in a temp dir, the portal in-process, and an HTTP client. */

export const ADMIN = { username: "admin", password: "admin-password-1" };

export interface Harness {
  server: NatsServerHandle;
  bus: Bus;
  store: DocumentStore;
  dir: string;
  portal: RunningPortal;
  restart(extra?: Partial<PortalOptions>): Promise<RunningPortal>;
  /** `username` logged in to this portal (password `<username>-password-1`, as `addUser` and ADMIN have it). */
  login(username?: string, password?: string): Promise<Client>;
  /** The admin logged in, then each `[username, role]` of `staff` added by the admin (`addUser`): their clients, admin first. */
  clients<const S extends readonly (readonly [string, Role])[]>(...staff: S): Promise<StaffClients<S>>;
  dispose(): Promise<void>;
}

type Role = "admin" | "operator" | "viewer";
/** The admin's client, then one per member of `S`, in its order. */
type StaffClients<S extends readonly unknown[]> = [Client, ...{ [K in keyof S]: Client }];

export async function startHarness(extra: Partial<PortalOptions> = {}): Promise<Harness> {
  const server = await startNatsServer();
  const bus = await testBus(server.url, "portal");
  const dir = mkdtempSync(join(tmpdir(), "persona-portal-"));
  const store = await openStore({ url: `sqlite:${join(dir, "persona.db")}` });
  const log = createLogger("portal", process.env.LOG_LEVEL ?? "silent");
  const opts = (): PortalOptions => ({ bus, store, log, port: 0, admin: ADMIN, webDist: null, timeZone: "UTC", ...extra });
  const h: Harness = {
    server,
    bus,
    store,
    dir,
    portal: await startPortal(opts()),
    async restart(more = {}) {
      await h.portal.stop();
      h.portal = await startPortal({ ...opts(), ...more });
      return h.portal;
    },
    login(username = ADMIN.username, password = `${username}-password-1`) {
      return login(h.portal.url, username, password);
    },
    async clients(...staff) {
      const admin = await h.login();
      const added: Client[] = [];
      for (const [username, role] of staff) added.push(await addUser(h.portal.url, admin, username, role));
      return [admin, ...added] as unknown as StaffClients<typeof staff>; // one added per member, in order
    },
    async dispose() {
      await h.portal?.stop();
      await bus.close();
      await store.close();
      await server.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export interface Client {
  cookie: string;
  csrf: string;
  role: string;
}

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  o: { client?: Client | null; json?: unknown; form?: FormData; csrf?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.client) headers.cookie = o.client.cookie;
  const csrf = o.csrf === undefined ? o.client?.csrf : o.csrf;
  if (csrf) headers["x-csrf-token"] = csrf;
  let body: string | FormData | undefined;
  if (o.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.json);
  } else if (o.form) body = o.form;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function login(base: string, username: string, password: string): Promise<Client> {
  const r = await call<{ csrfToken: string; user: { role: string } }>(base, "POST", "/auth/login", {
    json: { username, password },
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = r.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0] as string, csrf: r.body.csrfToken, role: r.body.user.role };
}

// ------------------------------------------------------------------ events

/** A user made by `admin` (password `<username>-password-1`; anything but 201 throws), logged in. */
export async function addUser(base: string, admin: Client, username: string, role: Role): Promise<Client> {
  const password = `${username}-password-1`;
  const r = await call(base, "POST", "/users", { client: admin, json: { username, role, password } });
  if (r.status !== 201) throw new Error(`creating ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return login(base, username, password);
}

/** Another portal replica on the harness's NATS and store (its own port, no admin seeding). */
export function startReplica(h: Harness, extra: Partial<PortalOptions> = {}): Promise<RunningPortal> {
  return startPortal({
    bus: h.bus,
    store: h.store,
    log: createLogger("portal2", "silent"),
    port: 0,
    webDist: null,
    timeZone: "UTC",
    ...extra,
  });
}

export const QUALITY = { score: 0.8, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
export const CROP_BYTES = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
export const inlineCrop = () => ({
  kind: "inline" as const,
  contentType: "image/jpeg" as const,
  base64: CROP_BYTES.toString("base64"),
});

export function recognizedData(cameraId: string, trackId: string, personId: string, personName: string, detectionId: string) {
  return {
    cameraId,
    trackId,
    detectionId,
    personId,
    personName,
    similarity: 0.91,
    margin: 0.2,
    decision: "confirmed" as const,
    votes: { agreeing: 3, total: 3 },
    quality: QUALITY,
    frameAt: new Date().toISOString(),
    crop: inlineCrop(),
    via: "embedding" as const,
  };
}

export function unknownData(cameraId: string, trackId: string, detectionId: string) {
  return {
    cameraId,
    trackId,
    detectionId,
    bestSimilarity: 0.41,
    bestPersonId: null,
    quality: QUALITY,
    frameAt: new Date().toISOString(),
    crop: inlineCrop(),
    embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
  };
}

/** `f`'s first truthy value, checked every 50 ms; after `ms` it fails naming `what` (@persona/testing's waitFor). */
export function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  return waitFor(f, { message: what, timeoutMs: ms }) as Promise<T>;
}
