/**
 * Cameras: every camera's state and health (fps, last frame, last error, reconnects, from its camera service's
 * reports), refreshed every few seconds; admins add, edit, disable and remove cameras at run time (the camera services
 * follow the change without a restart) and draw a detection zone on a snapshot. Sources with passwords come back with
 * *** in place of the password; a bootstrap camera (from CAMERAS) keeps its source and can only be disabled.
 */
import { type FormEvent, type PointerEvent, useEffect, useRef, useState } from "react";
import { del, get, patch, post } from "../api.ts";
import type { Camera, CameraChange, CameraRole, GetCamerasResponse, NewCamera } from "../api.gen.ts";
import { useCan } from "../session.tsx";
import { ActionsCell, Empty, ErrorBox, Loading, SubmitCancel, TableHead, formatDateTime, useAction, useLoad } from "../ui.tsx";

const ROLES: CameraRole[] = ["entrance", "perimeter", "classroom", "exam-room", "desk"];
type Zone = NonNullable<Camera["zone"]>;

const STATE_CLASS: Record<string, string> = { live: "ok", starting: "muted", disabled: "muted" };

function ago(iso: string | null): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return formatDateTime(iso);
}

const pct = (v: number) => Math.round(v * 1000) / 10;

/** Draw a rectangle on the camera's snapshot (or type it in per cent); fractions of the frame. */
function ZoneEditor({ cameraId, zone, onChange }: { cameraId: string; zone: Zone | null; onChange: (z: Zone | null) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const [start, setStart] = useState<{ x: number; y: number } | null>(null);
  const [stamp] = useState(() => Date.now());
  const [noSnapshot, setNoSnapshot] = useState(false);
  const at = (e: PointerEvent<HTMLDivElement>) => {
    const r = (box.current as HTMLDivElement).getBoundingClientRect();
    return {
      x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
      y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)),
    };
  };
  const drag = (e: PointerEvent<HTMLDivElement>) => {
    if (!start) return;
    const p = at(e);
    const x = Math.min(start.x, p.x);
    const y = Math.min(start.y, p.y);
    const width = Math.abs(p.x - start.x);
    const height = Math.abs(p.y - start.y);
    if (width > 0.01 && height > 0.01) onChange({ x, y, width, height });
  };
  const field = (k: keyof Zone, label: string) => (
    <label className="inline">
      {label}
      <input
        type="number"
        min={0}
        max={100}
        step={0.1}
        style={{ width: "5.5rem" }}
        value={zone ? pct(zone[k]) : ""}
        data-testid={`zone-${k}`}
        onChange={(e) => {
          const v = Number(e.target.value) / 100;
          onChange({ ...(zone ?? { x: 0, y: 0, width: 1, height: 1 }), [k]: v });
        }}
      />
    </label>
  );
  return (
    <fieldset className="plain">
      <legend>Detection zone (faces outside it are ignored)</legend>
      <div
        ref={box}
        className="zone-editor"
        onPointerDown={(e) => {
          (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
          setStart(at(e));
        }}
        onPointerMove={drag}
        onPointerUp={() => setStart(null)}
        data-testid="zone-editor"
      >
        {noSnapshot ? (
          <p className="muted small">No snapshot yet (the camera is not running): type the zone in per cent below.</p>
        ) : (
          <img
            src={`/api/v1/cameras/${encodeURIComponent(cameraId)}/snapshot?t=${stamp}`}
            alt={`Snapshot of ${cameraId}: drag to draw the zone`}
            draggable={false}
            onError={() => setNoSnapshot(true)}
          />
        )}
        {zone && (
          <div
            className="zone-rect"
            style={{
              left: `${zone.x * 100}%`,
              top: `${zone.y * 100}%`,
              width: `${zone.width * 100}%`,
              height: `${zone.height * 100}%`,
            }}
          />
        )}
      </div>
      <div className="row wrap">
        {field("x", "left %")}
        {field("y", "top %")}
        {field("width", "width %")}
        {field("height", "height %")}
        <button type="button" onClick={() => onChange(null)} data-testid="zone-clear">
          Whole frame
        </button>
      </div>
    </fieldset>
  );
}

interface FormState {
  id: string;
  name: string;
  source: string;
  role: CameraRole;
  detectFps: string;
  loop: boolean;
  zone: Zone | null;
}

const isFileSource = (source: string) => !/^[a-z][a-z0-9+.-]*:/i.test(source.trim()) && !source.trim().startsWith("/dev/");

/** The change an edit form makes: a bootstrap camera's source is its camera service's. */
function changeOf(f: FormState, camera: Camera): CameraChange {
  const change: CameraChange = {
    name: f.name.trim() || camera.cameraId,
    role: f.role,
    detectFps: Number(f.detectFps),
    zone: f.zone,
  };
  if (camera.managed && f.source.trim()) change.source = f.source.trim();
  return change;
}

function newCameraOf(f: FormState): NewCamera {
  return {
    id: f.id.trim(),
    source: f.source.trim(),
    role: f.role,
    detectFps: Number(f.detectFps),
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    ...(isFileSource(f.source) ? { loop: f.loop } : {}),
    ...(f.zone ? { zone: f.zone } : {}),
  };
}

/** Add (no `camera`) or edit a camera. */
function CameraForm({ camera, onDone }: { camera?: Camera; onDone: () => void }) {
  const editing = camera !== undefined;
  const bootstrap = editing && !camera.managed;
  const [f, setF] = useState<FormState>({
    id: camera?.cameraId ?? "",
    name: camera?.name ?? "",
    source: "",
    role: camera?.role ?? "entrance",
    detectFps: camera?.detectFps ? String(camera.detectFps) : "5",
    loop: camera?.loop ?? true,
    zone: camera?.zone ?? null,
  });
  const { busy, error, run } = useAction(onDone);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((cur) => ({ ...cur, [k]: v }));
  const isFile = isFileSource(f.source);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      editing
        ? patch(`/api/v1/cameras/${encodeURIComponent(camera.cameraId)}`, changeOf(f, camera))
        : post("/api/v1/cameras", newCameraOf(f)),
    );
  };
  return (
    <form className="card" onSubmit={submit} data-testid="camera-form" aria-labelledby="camera-form-title">
      <h2 id="camera-form-title">{editing ? `Edit ${camera.name}` : "Add a camera"}</h2>
      <div className="form-grid">
        <label htmlFor="cam-id">Id (letters, digits, - and _)</label>
        <input
          id="cam-id"
          value={f.id}
          onChange={(e) => set("id", e.target.value)}
          disabled={editing}
          required
          pattern="[A-Za-z0-9_\-]{1,40}"
          data-testid="camera-id"
        />
        <label htmlFor="cam-name">Name</label>
        <input id="cam-name" value={f.name} onChange={(e) => set("name", e.target.value)} data-testid="camera-name" />
        <label htmlFor="cam-source">Source</label>
        {bootstrap ? (
          <span className="muted small">{camera.source} (set by its camera service's CAMERAS)</span>
        ) : (
          <input
            id="cam-source"
            value={f.source}
            onChange={(e) => set("source", e.target.value)}
            required={!editing}
            placeholder={
              editing ? `unchanged: ${camera.source ?? ""}` : "rtsp://user:password@host/stream, or a clip in the videos folder"
            }
            data-testid="camera-source"
          />
        )}
        <label htmlFor="cam-role">Role</label>
        <select
          id="cam-role"
          value={f.role}
          onChange={(e) => set("role", e.target.value as CameraRole)}
          data-testid="camera-role"
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <label htmlFor="cam-fps">Detections per second</label>
        <input
          id="cam-fps"
          type="number"
          min={0.1}
          max={60}
          step={0.1}
          value={f.detectFps}
          onChange={(e) => set("detectFps", e.target.value)}
          data-testid="camera-fps"
        />
        {!editing && isFile && f.source.trim() && (
          <>
            <span>File</span>
            <label className="check">
              <input type="checkbox" checked={f.loop} onChange={(e) => set("loop", e.target.checked)} /> play again from the start
              at the end
            </label>
          </>
        )}
      </div>
      {editing ? (
        <ZoneEditor cameraId={camera.cameraId} zone={f.zone} onChange={(z) => set("zone", z)} />
      ) : (
        <p className="muted small">Once the camera runs, edit it to draw a detection zone on its picture.</p>
      )}
      <ErrorBox error={error} testId="camera-form-error" />
      <SubmitCancel label={editing ? "Save" : "Add camera"} busy={busy} testId="camera-save" onCancel={onDone} />
    </form>
  );
}

function CameraRow({
  cam,
  admin,
  onEdit,
  onChanged,
}: {
  cam: Camera;
  admin: boolean;
  onEdit: () => void;
  onChanged: () => void;
}) {
  const h = cam.health;
  const { error, run: act } = useAction(onChanged);
  const id = encodeURIComponent(cam.cameraId);
  const toggle = () => act(() => patch(`/api/v1/cameras/${id}`, { enabled: !cam.enabled }));
  const remove = () => {
    if (!window.confirm(`Remove camera ${cam.name}? Its camera service stops it; its sightings stay.`)) return;
    void act(() => del(`/api/v1/cameras/${id}`));
  };
  return (
    <tr data-testid={`camera-row-${cam.cameraId}`} data-status={cam.status}>
      <th scope="row">
        {cam.name}
        <div className="muted small">
          {cam.cameraId} · {cam.origin === "bootstrap" ? "CAMERAS" : cam.managed ? "console" : (cam.origin ?? "seen on the bus")}
          {cam.zone ? " · zone" : ""}
        </div>
        {admin && cam.source && <div className="muted small">{cam.source}</div>}
      </th>
      <td>{cam.role ?? "–"}</td>
      <td className={STATE_CLASS[cam.status] ?? (cam.status === "not reporting" || cam.status === "failed" ? "bad" : "")}>
        {cam.status}
        {h?.message && cam.status !== "live" && <div className="muted small">{h.message}</div>}
      </td>
      <td data-testid={`camera-fps-${cam.cameraId}`}>{h ? h.fps.toFixed(1) : "–"}</td>
      <td>{h ? ago(h.lastFrameAt) : "–"}</td>
      <td className="small">{h?.lastError ? `${h.lastError} (${ago(h.lastErrorAt)})` : "–"}</td>
      <td>{h ? h.reconnects : "–"}</td>
      <ActionsCell shown={admin} error={error}>
        <div className="row wrap">
          <button type="button" onClick={onEdit} data-testid={`camera-edit-${cam.cameraId}`}>
            Edit
          </button>
          <button type="button" onClick={() => void toggle()} data-testid={`camera-toggle-${cam.cameraId}`}>
            {cam.enabled ? "Disable" : "Enable"}
          </button>
          {cam.managed && (
            <button type="button" className="danger" onClick={remove} data-testid={`camera-remove-${cam.cameraId}`}>
              Remove
            </button>
          )}
        </div>
      </ActionsCell>
    </tr>
  );
}

export function Cameras() {
  const admin = useCan("admin");
  const { data, error, reload } = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []);
  const [editing, setEditing] = useState<string | "new" | null>(null);
  useEffect(() => {
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [reload]);
  const cams = data?.items ?? [];
  const current = editing && editing !== "new" ? cams.find((c) => c.cameraId === editing) : undefined;
  const done = () => {
    setEditing(null);
    reload();
  };
  return (
    <section aria-labelledby="cameras-title">
      <h1 id="cameras-title">Cameras</h1>
      <ErrorBox error={error} />
      {admin && editing === null && (
        <p>
          <button type="button" className="primary" onClick={() => setEditing("new")} data-testid="camera-add">
            Add a camera
          </button>
        </p>
      )}
      {editing === "new" && <CameraForm onDone={done} />}
      {current && <CameraForm key={current.cameraId} camera={current} onDone={done} />}
      {!data && !error ? (
        <Loading />
      ) : cams.length === 0 ? (
        <Empty testId="cameras-empty">
          No cameras yet.{" "}
          {admin ? "Add one with the button above, or list them in the camera service's CAMERAS." : "An admin adds them here."}
        </Empty>
      ) : (
        <div className="card wide">
          <table data-testid="cameras-table">
            <TableHead
              columns={["Camera", "Role", "State", "fps", "Last frame", "Last error", "Reconnects", admin && "Actions"]}
            />
            <tbody>
              {cams.map((c) => (
                <CameraRow key={c.cameraId} cam={c} admin={admin} onEdit={() => setEditing(c.cameraId)} onChanged={reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
