/**
 * The cameras a camera service runs: its bootstrap list (CAMERAS / CAMERAS_FILE) merged with the managed cameras an
 * admin keeps in the KV config (`cameras.<id>`, see @persona/contracts cameras.ts). Pure: the watcher in fleet.ts
 * feeds it every entry it holds and runs what comes out.
 *
 * - An entry with a source is a camera of its own; this service runs it when the entry's group is its CAMERA_GROUP.
 *   With the id of a bootstrap camera it replaces that camera.
 * - An entry without a source overrides the settings (name, role, rate, width, zone, enabled) of the bootstrap
 *   camera with its id, whatever the group; without such a camera it is ignored here.
 * - A file source of a managed camera is relative to MANAGED_FILES_DIR and may not leave it.
 * - A bad entry never stops the others: it comes back as a problem for that camera id.
 */
import { isAbsolute, relative, resolve } from "node:path";
import {
  DEFAULT_CAMERA_GROUP,
  ManagedCamera,
  inferSourceKind,
  managedFileProblem,
  redactSecrets,
  sourceFitsKind,
} from "@persona/contracts";
import { CAMERA_DEFAULTS, type CameraConfig } from "./config.ts";

export interface ManagedProblem {
  cameraId: string;
  message: string;
}

export interface ResolveOptions {
  /** The service's CAMERA_GROUP ("off": no managed cameras of its own, overrides still apply). */
  group: string;
  /** MANAGED_FILES_DIR (absolute or relative to the working directory). */
  filesDir: string;
}

/** Parses one KV value; a problem (with the id from the key) when it does not fit the schema. */
export function parseManagedEntry(key: string, text: string): ManagedCamera | ManagedProblem {
  const cameraId = key.replace(/^cameras\./, "");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { cameraId, message: "the stored entry is not JSON" };
  }
  const parsed = ManagedCamera.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { cameraId, message: `the stored entry is invalid: ${first?.path.join(".") || "entry"}: ${first?.message}` };
  }
  if (parsed.data.id !== cameraId) return { cameraId, message: `the stored entry names camera ${parsed.data.id}` };
  return parsed.data;
}

/** The source as ffmpeg will open it and its kind, or a problem. */
function managedSource(
  e: ManagedCamera & { source: string },
  filesDir: string,
): { source: string; kind: CameraConfig["kind"] } | string {
  const inferred = inferSourceKind(e.source);
  const kind = e.kind ?? inferred;
  if (kind === null) return `cannot tell the kind of source "${redactSecrets(e.source)}"`;
  if (e.kind !== undefined && !sourceFitsKind(e.source, e.kind))
    return `source "${redactSecrets(e.source)}" is not a ${e.kind} source`;
  if (inferred === "file") {
    const problem = managedFileProblem(e.source);
    if (problem) return problem;
    const root = resolve(filesDir);
    const path = resolve(root, e.source);
    const rel = relative(root, path);
    if (rel.startsWith("..") || isAbsolute(rel)) return "a file source may not leave MANAGED_FILES_DIR";
    return { source: path, kind };
  }
  if (kind !== "file" && (e.loop !== undefined || e.realtime !== undefined)) {
    return `"loop" and "realtime" apply to file sources only (this is ${kind})`;
  }
  return { source: e.source, kind };
}

function withSettings(base: CameraConfig, e: ManagedCamera): CameraConfig {
  return {
    ...base,
    name: e.name ?? base.name,
    role: e.role ?? base.role,
    detectFps: e.detectFps ?? base.detectFps,
    maxWidth: e.maxWidth ?? base.maxWidth,
    zone: e.zone === undefined ? base.zone : e.zone,
    enabled: e.enabled ?? base.enabled,
    origin: "managed",
  };
}

/** Every camera to know about (run when `enabled`), bootstrap order first, then managed ones by id. */
export function resolveCameras(
  bootstrap: readonly CameraConfig[],
  entries: readonly (ManagedCamera | ManagedProblem)[],
  o: ResolveOptions,
): { cameras: CameraConfig[]; problems: ManagedProblem[] } {
  const problems: ManagedProblem[] = [];
  const byId = new Map<string, CameraConfig>(bootstrap.map((c) => [c.id, { ...c, group: o.group }]));
  const bootIds = new Set(byId.keys());
  const sorted = [...entries].sort((a, b) => idOf(a).localeCompare(idOf(b)));
  for (const e of sorted) {
    if ("message" in e) {
      problems.push(e);
      continue;
    }
    const group = e.group ?? DEFAULT_CAMERA_GROUP;
    if (e.source === undefined) {
      const base = byId.get(e.id);
      // an override: of our bootstrap camera (any group), else not ours to judge
      if (base && bootIds.has(e.id)) byId.set(e.id, withSettings(base, e));
      continue;
    }
    if (o.group === "off" || group !== o.group) continue;
    const src = managedSource(e as ManagedCamera & { source: string }, o.filesDir);
    if (typeof src === "string") {
      problems.push({ cameraId: e.id, message: src });
      continue;
    }
    const base: CameraConfig = {
      id: e.id,
      name: e.id,
      source: src.source,
      kind: src.kind,
      role: e.role ?? "entrance",
      loop: src.kind === "file" ? (e.loop ?? CAMERA_DEFAULTS.loop) : false,
      realtime: src.kind === "file" ? (e.realtime ?? CAMERA_DEFAULTS.realtime) : true,
      detectFps: CAMERA_DEFAULTS.detectFps,
      maxWidth: null,
      zone: null,
      origin: "managed",
      group,
      enabled: true,
    };
    byId.set(e.id, withSettings(base, e));
  }
  const boot = [...bootIds].map((id) => byId.get(id) as CameraConfig);
  const rest = [...byId.values()].filter((c) => !bootIds.has(c.id)).sort((a, b) => a.id.localeCompare(b.id));
  return { cameras: [...boot, ...rest], problems };
}

function idOf(e: ManagedCamera | ManagedProblem): string {
  return "message" in e ? e.cameraId : e.id;
}

/** Whether two configs run the same pipeline (a change of any field restarts the camera). */
export function sameCamera(a: CameraConfig, b: CameraConfig): boolean {
  return JSON.stringify({ ...a }) === JSON.stringify({ ...b });
}
