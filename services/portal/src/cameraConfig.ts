/**
 * The console's side of cameras managed at run time: the managed entries in the KV `config` bucket (`cameras.<id>`,
 * written here, followed by the camera services) and the camera services' reports in `camera-health`. Writes are
 * compare-and-set on the entry's revision: two admins editing one camera get a 409, not a lost update.
 */
import type { KV } from "@nats-io/kv";
import { type Bus, isWrongRevision } from "@persona/bus";
import {
  CameraHealth,
  MANAGED_CAMERA_PREFIX,
  ManagedCamera,
  inferSourceKind,
  managedCameraKey,
  managedFileProblem,
  redactSecrets,
  sourceFitsKind,
} from "@persona/contracts";
import { ApiError, badRequest } from "./http/errors.ts";
import { within } from "./natsRead.ts";

export interface StoredCamera {
  entry: ManagedCamera;
  revision: number;
}

/** A report is stale once three report intervals passed without a new one: its camera service is gone or stuck. */
export function isStale(h: CameraHealth, now = Date.now()): boolean {
  return now - Date.parse(h.updatedAt) > 3 * h.intervalMs;
}

/** Why a managed camera's source cannot run, as the camera service would judge it; null when it can. */
export function sourceProblem(e: Pick<ManagedCamera, "source" | "kind" | "loop" | "realtime">): string | null {
  if (e.source === undefined) return null;
  const inferred = inferSourceKind(e.source);
  const kind = e.kind ?? inferred;
  if (kind === null) {
    return `cannot tell the kind of source "${redactSecrets(e.source)}": use a file path relative to the camera service's MANAGED_FILES_DIR, rtsp://, http(s):// or /dev/videoN`;
  }
  if (e.kind !== undefined && !sourceFitsKind(e.source, e.kind))
    return `source "${redactSecrets(e.source)}" is not a ${e.kind} source`;
  if (inferred === "file") return managedFileProblem(e.source);
  if (kind !== "file" && (e.loop !== undefined || e.realtime !== undefined)) {
    return `"loop" and "realtime" apply to file sources only (this is ${kind})`;
  }
  return null;
}

const conflict = (message: string) => new ApiError(409, "conflict", message);

export class CameraConfigStore {
  private constructor(
    private readonly config: KV,
    private readonly health: KV,
  ) {}

  static async open(bus: Bus): Promise<CameraConfigStore> {
    return new CameraConfigStore(await bus.kv("config"), await bus.kv("camera-health"));
  }

  /** The last answers of `list` and `reports`: what the console shows while NATS is away. */
  #lastList = new Map<string, StoredCamera>();
  #lastReports = new Map<string, CameraHealth>();

  /** Every managed entry (a stored entry that no longer parses is skipped: the camera service reports it). While NATS
   * does not answer (within 2 s), the entries last read. */
  async list(): Promise<Map<string, StoredCamera>> {
    return withFallback(async () => {
      const out = new Map<string, StoredCamera>();
      for await (const key of await this.config.keys(`${MANAGED_CAMERA_PREFIX}>`)) {
        const got = await this.get(key.slice(MANAGED_CAMERA_PREFIX.length));
        if (got) out.set(got.entry.id, got);
      }
      this.#lastList = out;
      return out;
    }, this.#lastList);
  }

  async get(id: string): Promise<StoredCamera | null> {
    const e = await this.config.get(managedCameraKey(id));
    if (e?.operation !== "PUT" || e.length === 0) return null;
    const parsed = ManagedCamera.safeParse(safeJson(e.string()));
    return parsed.success && parsed.data.id === id ? { entry: parsed.data, revision: e.revision } : null;
  }

  /** The latest report of every camera any camera service runs. */
  async reports(): Promise<Map<string, CameraHealth>> {
    return withFallback(async () => {
      const out = new Map<string, CameraHealth>();
      for await (const key of await this.health.keys()) {
        const e = await this.health.get(key);
        if (e?.operation !== "PUT" || e.length === 0) continue;
        const parsed = CameraHealth.safeParse(safeJson(e.string()));
        if (parsed.success) out.set(key, parsed.data);
      }
      this.#lastReports = out;
      return out;
    }, this.#lastReports);
  }

  async report(id: string): Promise<CameraHealth | null> {
    const e = await this.health.get(id);
    if (e?.operation !== "PUT" || e.length === 0) return null;
    const parsed = CameraHealth.safeParse(safeJson(e.string()));
    return parsed.success ? parsed.data : null;
  }

  /** Stores a new entry; 409 when one exists. */
  async create(entry: ManagedCamera): Promise<StoredCamera> {
    check(entry);
    try {
      const revision = await this.config.create(managedCameraKey(entry.id), JSON.stringify(entry));
      return { entry, revision };
    } catch (err) {
      if (isWrongRevision(err)) throw conflict(`camera ${entry.id} exists`);
      throw err;
    }
  }

  /** Replaces the entry stored at `revision` (null: none stored yet); 409 when someone changed it meanwhile. */
  async replace(entry: ManagedCamera, revision: number | null): Promise<StoredCamera> {
    check(entry);
    const key = managedCameraKey(entry.id);
    try {
      const rev =
        revision === null
          ? await this.config.create(key, JSON.stringify(entry))
          : await this.config.update(key, JSON.stringify(entry), revision);
      return { entry, revision: rev };
    } catch (err) {
      if (isWrongRevision(err)) throw conflict(`camera ${entry.id} was changed meanwhile: load it again`);
      throw err;
    }
  }

  async remove(id: string, revision: number): Promise<void> {
    try {
      await this.config.delete(managedCameraKey(id), { previousSeq: revision });
    } catch (err) {
      if (isWrongRevision(err)) throw conflict(`camera ${id} was changed meanwhile: load it again`);
      throw err;
    }
  }
}

/** `read()`, or `last` when it fails or takes longer than 2 s (NATS away). */
function withFallback<T>(read: () => Promise<T>, last: T): Promise<T> {
  return within(read()).catch(() => last);
}

function check(entry: ManagedCamera): void {
  const problem = sourceProblem(entry);
  if (problem) throw badRequest(problem, [{ path: "source", message: problem }]);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
