/**
 * Settings: this browser's preferences (alert sound, greetings), camera roles and the alert rules (admin; validated by
 * the portal, issues shown), and the system status.
 */
import { useEffect, useState } from "react";
import { errorText, get, put } from "../api.ts";
import type { AlertRules as Rules, Camera, CameraRole, CameraRules, GetCamerasResponse, SystemStatus } from "../api.gen.ts";
import { beep } from "../beep.ts";
import { usePrefs } from "../prefs.ts";
import { useCan } from "../session.tsx";
import { ErrorBox, Loading, useLoad } from "../ui.tsx";

const CAMERA_ROLES: CameraRole[] = ["perimeter", "entrance", "classroom", "exam-room", "desk"];

function Preferences() {
  const [prefs, setPrefs] = usePrefs();
  return (
    <section className="card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">This browser</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={prefs.alertSound}
          onChange={(e) => setPrefs({ alertSound: e.target.checked })}
          data-testid="pref-alert-sound"
        />
        Beep when an alert is raised
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={prefs.greetings}
          onChange={(e) => setPrefs({ greetings: e.target.checked })}
          data-testid="pref-greetings"
        />
        Play greetings here (the person's sound when the greeter greets them)
      </label>
      <button type="button" onClick={() => beep("medium")}>
        Test the alert sound
      </button>
      <p className="muted small">Browsers play sound only after you have clicked on the page once.</p>
    </section>
  );
}

function CameraRoles({
  rules,
  cameras,
  editable,
  onChange,
}: {
  rules: Rules;
  cameras: Camera[];
  editable: boolean;
  onChange: (r: Rules) => void;
}) {
  const ids = [...new Set([...cameras.map((c) => c.cameraId), ...Object.keys(rules.cameras)])].sort();
  const setCamera = (id: string, c: CameraRules | null) => {
    const next = { ...rules.cameras };
    if (c) next[id] = c;
    else delete next[id];
    onChange({ ...rules, cameras: next });
  };
  if (ids.length === 0) return <p className="empty">No cameras known yet.</p>;
  return (
    <table data-testid="camera-roles">
      <thead>
        <tr>
          <th scope="col">Camera</th>
          <th scope="col">Role for the rules</th>
          <th scope="col">Open hours (optional)</th>
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => {
          const c = rules.cameras[id];
          const reported = cameras.find((x) => x.cameraId === id)?.role;
          return (
            <tr key={id}>
              <th scope="row">{id}</th>
              <td>
                <label className="inline">
                  <span className="sr-only">Role of {id}</span>
                  <select
                    disabled={!editable}
                    value={c?.role ?? ""}
                    onChange={(e) => setCamera(id, e.target.value ? { ...c, role: e.target.value as CameraRole } : null)}
                    data-testid={`camera-role-${id}`}
                  >
                    <option value="">as the camera reports{reported ? ` (${reported})` : ""}</option>
                    {CAMERA_ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </label>
              </td>
              <td>
                {c && (
                  <span className="row">
                    <label className="inline">
                      from
                      <input
                        type="time"
                        disabled={!editable}
                        value={c.schedule?.from ?? ""}
                        onChange={(e) =>
                          setCamera(
                            id,
                            e.target.value
                              ? {
                                  ...c,
                                  schedule: {
                                    days: c.schedule?.days ?? [1, 2, 3, 4, 5],
                                    to: c.schedule?.to ?? "18:00",
                                    utcOffsetMinutes: c.schedule?.utcOffsetMinutes ?? -new Date().getTimezoneOffset(),
                                    from: e.target.value,
                                  },
                                }
                              : { role: c.role },
                          )
                        }
                      />
                    </label>
                    <label className="inline">
                      to
                      <input
                        type="time"
                        disabled={!editable || !c.schedule}
                        value={c.schedule?.to ?? ""}
                        onChange={(e) => c.schedule && setCamera(id, { ...c, schedule: { ...c.schedule, to: e.target.value } })}
                      />
                    </label>
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function RulesEditor() {
  const isAdmin = useCan("admin");
  const rulesLoad = useLoad(() => get<Rules>("/api/v1/rules"), []);
  const camerasLoad = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []);
  const [rules, setRules] = useState<Rules | null>(null);
  const [text, setText] = useState("");
  const [parseError, setParseError] = useState<string | null>(null);
  const [saveMsg, setSaveMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (rulesLoad.data) {
      setRules(rulesLoad.data);
      setText(JSON.stringify(rulesLoad.data, null, 2));
    }
  }, [rulesLoad.data]);

  const fromForm = (r: Rules) => {
    setRules(r);
    setText(JSON.stringify(r, null, 2));
    setParseError(null);
  };
  const fromText = (t: string) => {
    setText(t);
    try {
      const parsed = JSON.parse(t) as Rules;
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("the rules are a JSON object");
      setRules({ cameras: parsed.cameras ?? {}, rules: parsed.rules ?? [] });
      setParseError(null);
    } catch (err) {
      setParseError(err instanceof Error ? err.message : String(err));
    }
  };
  const save = async () => {
    setSaveMsg(null);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      setParseError(err instanceof Error ? err.message : String(err));
      return;
    }
    setBusy(true);
    try {
      const saved = await put<Rules>("/api/v1/rules", body);
      if (saved && typeof saved === "object" && "rules" in saved) fromForm(saved);
      setSaveMsg({ ok: true, text: "Rules saved." });
    } catch (err) {
      setSaveMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card wide" aria-labelledby="rules-title" data-testid="rules">
      <h2 id="rules-title">Alert rules</h2>
      <ErrorBox error={rulesLoad.error ?? camerasLoad.error} />
      {!rules && !rulesLoad.error && <Loading />}
      {rules && (
        <>
          <h3>Camera roles</h3>
          <CameraRoles rules={rules} cameras={camerasLoad.data?.items ?? []} editable={isAdmin} onChange={fromForm} />
          <h3>
            <label htmlFor="rules-json">Rules (JSON)</label>
          </h3>
          <p className="muted small">
            Kinds: <code>unknown-at-perimeter</code>, <code>watchlisted</code>, <code>after-hours</code>; each with id, severity
            (low, medium, high, critical), cameras, roles, dedupeMinutes, enabled.
          </p>
          <textarea
            id="rules-json"
            rows={18}
            spellCheck={false}
            readOnly={!isAdmin}
            value={text}
            onChange={(e) => fromText(e.target.value)}
            aria-invalid={parseError !== null}
            aria-describedby="rules-parse"
            data-testid="rules-json"
          />
          <p id="rules-parse" className={parseError ? "error" : "muted small"} role={parseError ? "alert" : undefined}>
            {parseError ? `Not valid JSON: ${parseError}` : "Valid JSON."}
          </p>
          {isAdmin ? (
            <button
              type="button"
              className="primary"
              disabled={busy || parseError !== null}
              onClick={() => void save()}
              data-testid="rules-save"
            >
              Save rules
            </button>
          ) : (
            <p className="muted">Only admins change the rules.</p>
          )}
          {saveMsg && (
            <pre className={saveMsg.ok ? "ok" : "error"} role={saveMsg.ok ? "status" : "alert"} data-testid="rules-result">
              {saveMsg.text}
            </pre>
          )}
        </>
      )}
    </section>
  );
}

function System() {
  const { data, error, reload } = useLoad(() => get<SystemStatus>("/api/v1/system"), []);
  return (
    <section className="card wide" aria-labelledby="system-title">
      <h2 id="system-title">System</h2>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Ready</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {data.services.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td className={s.ready ? "ok" : "bad"}>{s.ready ? "ready" : "not ready"}</td>
                  <td>{s.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <thead>
              <tr>
                <th scope="col">Stream</th>
                <th scope="col">Consumer</th>
                <th scope="col">Pending</th>
                <th scope="col">Unacknowledged</th>
                <th scope="col">Redelivered</th>
              </tr>
            </thead>
            <tbody>
              {data.consumers.map((c) => (
                <tr key={`${c.stream}/${c.name}`}>
                  <td>{c.stream}</td>
                  <td>{c.name}</td>
                  <td>{c.pending}</td>
                  <td>{c.ackPending}</td>
                  <td>{c.redelivered}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.natsError ? <p className="bad">{data.natsError}</p> : null}
          <p>
            Dead letters: <strong>{data.deadLetters ?? "unknown"}</strong>
          </p>
        </>
      )}
    </section>
  );
}

export function Settings() {
  return (
    <section>
      <h1>Settings</h1>
      <div className="settings-grid">
        <Preferences />
        <RulesEditor />
        <System />
      </div>
    </section>
  );
}
