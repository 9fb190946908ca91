/**
 * Settings: this browser's preferences (alert sound, greetings) and the alert rules as a form (admin): camera roles and
 * open hours with their UTC offset, then each rule's kind, severity, cameras, roles, de-duplication window. The portal
 * validates them; its issues' paths put each message beside its field. The JSON stays under "Edit as JSON". The system
 * status has its own page (System).
 */
import { type ReactNode, useEffect, useState } from "react";
import { ApiError, errorText, get, put } from "../api.ts";
import type {
  AlertRule,
  AlertRules as Rules,
  Camera,
  CameraRole,
  CameraRules,
  GetCamerasResponse,
  Severity,
} from "../api.gen.ts";
import { beep } from "../beep.ts";
import { type Prefs, usePrefs } from "../prefs.ts";
import { useCan } from "../session.tsx";
import { Thresholds } from "./Thresholds.tsx";
import { ErrorBox, Loading, Options, TableHead, useLoad } from "../ui.tsx";

const CAMERA_ROLES: CameraRole[] = ["perimeter", "entrance", "classroom", "exam-room", "desk"];

/** This browser's switches, with the test ids the browser tests use. */
const PREF_SWITCHES: { key: keyof Prefs; label: string; testId: string }[] = [
  { key: "alertSound", label: "Beep when an alert is raised", testId: "pref-alert-sound" },
  { key: "greetings", label: "Play greetings here (the person's sound when the greeter greets them)", testId: "pref-greetings" },
];

function Preferences() {
  const [prefs, setPrefs] = usePrefs();
  return (
    <section className="card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">This browser</h2>
      {PREF_SWITCHES.map(({ key, label, testId }) => (
        <label key={key} className="check">
          <input
            type="checkbox"
            checked={prefs[key]}
            onChange={(e) => setPrefs({ [key]: e.target.checked })}
            data-testid={testId}
          />
          {label}
        </label>
      ))}
      <button type="button" onClick={() => beep("medium")}>
        Test the alert sound
      </button>
      <p className="muted small">Browsers play sound only after you have clicked on the page once.</p>
    </section>
  );
}

/** Field errors by path ("rules.0.severity"), from the portal's 400 issues. */
type FieldErrors = Record<string, string>;

const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];
const KINDS: { kind: AlertRule["kind"]; label: string }[] = [
  { kind: "unknown-at-perimeter", label: "unknown person (after N unknown shots of a visit)" },
  { kind: "watchlisted", label: "watchlisted person recognised" },
  { kind: "after-hours", label: "anyone outside the camera's open hours" },
];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function FieldError({ errors, path }: { errors: FieldErrors; path: string }) {
  const e = errors[path];
  if (!e) return null;
  return (
    <span className="error small field-error" role="alert" data-testid={`error-${path}`}>
      {e}
    </span>
  );
}

function offsetLabel(min: number): string {
  const sign = min < 0 ? "-" : "+";
  const a = Math.abs(min);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}
/** UTC offsets from -12:00 to +14:00 by quarter hours that real zones use. */
const OFFSETS = Array.from({ length: (840 + 720) / 15 + 1 }, (_, i) => -720 + i * 15).filter(
  (m) => m % 60 === 0 || m % 30 === 0 || Math.abs(m % 60) === 45,
);

type Schedule = NonNullable<CameraRules["schedule"]>;

function ScheduleEditor({
  id,
  schedule: sched,
  editable,
  onChange: setSchedule,
}: {
  id: string;
  schedule: Schedule;
  editable: boolean;
  onChange: (patch: Partial<Schedule>) => void;
}) {
  /** The "from" or "to" time, labelled with its key. */
  const time = (k: "from" | "to") => (
    <label className="inline">
      {k}
      <input
        type="time"
        disabled={!editable}
        value={sched[k]}
        onChange={(e) => setSchedule({ [k]: e.target.value })}
        data-testid={`camera-${k}-${id}`}
      />
    </label>
  );
  return (
    <span className="row wrap">
      {time("from")}
      {time("to")}
      <label className="inline">
        time zone
        <select
          disabled={!editable}
          value={sched.utcOffsetMinutes}
          onChange={(e) => setSchedule({ utcOffsetMinutes: Number(e.target.value) })}
          data-testid={`camera-offset-${id}`}
        >
          {(OFFSETS.includes(sched.utcOffsetMinutes) ? OFFSETS : [...OFFSETS, sched.utcOffsetMinutes]).map((m) => (
            <option key={m} value={m}>
              {offsetLabel(m)}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="row plain" aria-label={`Open days of ${id}`}>
        {DAYS.map((d, i) => (
          <label key={d} className="check inline">
            <input
              type="checkbox"
              disabled={!editable}
              checked={sched.days.includes(i)}
              onChange={(e) =>
                setSchedule({
                  days: e.target.checked ? [...sched.days, i].sort((a, b) => a - b) : sched.days.filter((x) => x !== i),
                })
              }
            />
            {d}
          </label>
        ))}
      </fieldset>
    </span>
  );
}

function CameraRoles({
  rules,
  cameras,
  editable,
  errors,
  onChange,
}: {
  rules: Rules;
  cameras: Camera[];
  editable: boolean;
  errors: FieldErrors;
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
      <TableHead columns={["Camera", "Role for the rules", "Open hours (optional, for after-hours rules)"]} />
      <tbody>
        {ids.map((id) => {
          const c = rules.cameras[id];
          const reported = cameras.find((x) => x.cameraId === id)?.role;
          const p = `cameras.${id}`;
          const sched = c?.schedule;
          const setSchedule = (patch: Partial<NonNullable<CameraRules["schedule"]>>) =>
            c &&
            setCamera(id, {
              ...c,
              schedule: {
                days: sched?.days ?? [1, 2, 3, 4, 5],
                from: sched?.from ?? "08:00",
                to: sched?.to ?? "18:00",
                utcOffsetMinutes: sched?.utcOffsetMinutes ?? -new Date().getTimezoneOffset(),
                ...patch,
              },
            });
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
                <FieldError errors={errors} path={`${p}.role`} />
              </td>
              <td>
                {c && (
                  <>
                    <label className="check">
                      <input
                        type="checkbox"
                        disabled={!editable}
                        checked={sched !== undefined}
                        onChange={(e) => (e.target.checked ? setSchedule({}) : setCamera(id, { role: c.role }))}
                        data-testid={`camera-scheduled-${id}`}
                      />
                      has open hours
                    </label>
                    {sched && <ScheduleEditor id={id} schedule={sched} editable={editable} onChange={setSchedule} />}
                    {["from", "to", "days", "utcOffsetMinutes"].map((f) => (
                      <FieldError key={f} errors={errors} path={`${p}.schedule.${f}`} />
                    ))}
                    <FieldError errors={errors} path={`${p}.schedule`} />
                  </>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function newRule(rules: Rules): AlertRule {
  let n = rules.rules.length + 1;
  while (rules.rules.some((r) => r.id === `rule-${n}`)) n++;
  return { id: `rule-${n}`, kind: "watchlisted", severity: "high", cameras: [], roles: [], dedupeMinutes: 10, enabled: true };
}

/** A rule of another kind keeps the common fields; unknown-at-perimeter gets its default shots. */
function withKind(r: AlertRule, kind: AlertRule["kind"]): AlertRule {
  const { id, severity, cameras, roles, dedupeMinutes, enabled } = r;
  const base = { id, severity, cameras, roles, dedupeMinutes, enabled };
  return kind === "unknown-at-perimeter"
    ? { ...base, kind, minUnknownShots: r.kind === "unknown-at-perimeter" ? r.minUnknownShots : 2 }
    : { ...base, kind };
}

/** Checkboxes choosing some of `options` (none chosen = all, for the rules). */
function CheckGroup({
  label,
  options,
  selected,
  editable,
  testId,
  onChange,
}: {
  label: string;
  options: readonly string[];
  selected: readonly string[];
  editable: boolean;
  testId: string;
  onChange: (next: string[]) => void;
}) {
  return (
    <fieldset className="row wrap plain" aria-label={label}>
      {options.map((o) => (
        <label key={o} className="check inline">
          <input
            type="checkbox"
            disabled={!editable}
            checked={selected.includes(o)}
            onChange={(e) => onChange(e.target.checked ? [...selected, o] : selected.filter((x) => x !== o))}
            data-testid={`${testId}-${o}`}
          />
          {o}
        </label>
      ))}
    </fieldset>
  );
}

function JsonEditor({
  text,
  editable,
  parseError,
  onChange,
}: {
  text: string;
  editable: boolean;
  parseError: string | null;
  onChange: (t: string) => void;
}) {
  return (
    <>
      <label htmlFor="rules-json" className="sr-only">
        Rules (JSON)
      </label>
      <textarea
        id="rules-json"
        rows={18}
        spellCheck={false}
        readOnly={!editable}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={parseError !== null}
        aria-describedby="rules-parse"
        data-testid="rules-json"
      />
      <p id="rules-parse" className={parseError ? "error" : "muted small"} role={parseError ? "alert" : undefined}>
        {parseError ? `Not valid JSON: ${parseError}` : "Valid JSON."}
      </p>
    </>
  );
}

/** What each field of a rule gets: its label, id (also its test id), the path of its issues, editability, the errors. */
interface FieldProps {
  label: string;
  id: string;
  path: string;
  editable: boolean;
  errors: FieldErrors;
}

/** A row of the form's grid: the label, then the control with its error. */
function GridRow({ label, id, path, errors, children }: FieldProps & { children: ReactNode }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <span>
        {children}
        <FieldError errors={errors} path={path} />
      </span>
    </>
  );
}

/** A text or number input (a number field left empty is sent as null: the portal names it). */
function InputField<T extends number | string>({
  value,
  onChange,
  ...field
}: FieldProps & { value: T; onChange: (v: T) => void }) {
  const numeric = typeof value === "number";
  return (
    <GridRow {...field}>
      <input
        id={field.id}
        type={numeric ? "number" : "text"}
        disabled={!field.editable}
        value={numeric && Number.isNaN(value) ? "" : value}
        onChange={(e) => onChange((numeric ? e.target.valueAsNumber : e.target.value) as T)}
        aria-invalid={field.errors[field.path] !== undefined}
        data-testid={field.id}
      />
    </GridRow>
  );
}

function SelectField({
  value,
  options,
  onChange,
  ...field
}: FieldProps & { value: string; options: { value: string; label: string }[]; onChange: (v: string) => void }) {
  return (
    <GridRow {...field}>
      <select
        id={field.id}
        disabled={!field.editable}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={field.id}
      >
        <Options items={options} />
      </select>
    </GridRow>
  );
}

function RuleForm({
  rule,
  index,
  cameraIds,
  editable,
  errors,
  onChange,
  onRemove,
}: {
  rule: AlertRule;
  index: number;
  cameraIds: string[];
  editable: boolean;
  errors: FieldErrors;
  onChange: (r: AlertRule) => void;
  onRemove: () => void;
}) {
  const p = `rules.${index}`;
  const id = (f: string) => `rule-${index}-${f}`;
  /** What every field of the rule is given: its test id, the path of its issues (`key` in the rule), errors. */
  const field = (f: string, key: string) => ({ id: id(f), path: `${p}.${key}`, editable, errors });
  return (
    <fieldset className="rule" data-testid={`rule-${index}`}>
      <legend>
        Rule <code>{rule.id}</code>
      </legend>
      <FieldError errors={errors} path={p} />
      <div className="form-grid">
        <InputField label="Id" {...field("id", "id")} value={rule.id} onChange={(v) => onChange({ ...rule, id: v })} />
        <SelectField
          label="Raises an alert for"
          {...field("kind", "kind")}
          value={rule.kind}
          options={KINDS.map((k) => ({ value: k.kind, label: k.label }))}
          onChange={(v) => onChange(withKind(rule, v as AlertRule["kind"]))}
        />
        <SelectField
          label="Severity"
          {...field("severity", "severity")}
          value={rule.severity}
          options={(SEVERITIES.includes(rule.severity) ? SEVERITIES : [...SEVERITIES, rule.severity]).map((v) => ({
            value: v,
            label: v,
          }))}
          onChange={(v) => onChange({ ...rule, severity: v as Severity })}
        />
        {rule.kind === "unknown-at-perimeter" && (
          <InputField
            label="Unknown shots before the alert"
            {...field("shots", "minUnknownShots")}
            value={rule.minUnknownShots}
            onChange={(v) => onChange({ ...rule, minUnknownShots: v })}
          />
        )}
        <InputField
          label="Quiet for (minutes) after an alert of the same visit"
          {...field("dedupe", "dedupeMinutes")}
          value={rule.dedupeMinutes}
          onChange={(v) => onChange({ ...rule, dedupeMinutes: v })}
        />
        <span>Camera roles (none = every role)</span>
        <CheckGroup
          label={`Roles of rule ${rule.id}`}
          options={CAMERA_ROLES}
          selected={rule.roles}
          editable={editable}
          testId={id("role")}
          onChange={(roles) => onChange({ ...rule, roles: roles as CameraRole[] })}
        />
        <FieldError errors={errors} path={`${p}.roles`} />
        <span>Cameras (none = every camera)</span>
        <CheckGroup
          label={`Cameras of rule ${rule.id}`}
          options={[...new Set([...cameraIds, ...rule.cameras])].sort()}
          selected={rule.cameras}
          editable={editable}
          testId={id("camera")}
          onChange={(cameras) => onChange({ ...rule, cameras })}
        />
        <FieldError errors={errors} path={`${p}.cameras`} />
        <span />
        <span className="row">
          <label className="check inline">
            <input
              type="checkbox"
              disabled={!editable}
              checked={rule.enabled}
              onChange={(e) => onChange({ ...rule, enabled: e.target.checked })}
              data-testid={id("enabled")}
            />
            enabled
          </label>
          {editable && (
            <button type="button" onClick={onRemove} data-testid={id("remove")}>
              Remove rule
            </button>
          )}
        </span>
      </div>
    </fieldset>
  );
}

/** The portal's 400 issues by path ("rules.0.severity"); several at one path are joined. */
function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: FieldErrors = {};
  for (const i of err.details as { path?: (string | number)[]; message?: string }[]) {
    const k = (i.path ?? []).join(".");
    out[k] = out[k] ? `${out[k]}; ${i.message ?? "invalid"}` : (i.message ?? "invalid");
  }
  return out;
}

function RulesList({
  rules,
  cameraIds,
  editable,
  errors,
  onChange,
}: {
  rules: Rules;
  cameraIds: string[];
  editable: boolean;
  errors: FieldErrors;
  onChange: (r: Rules) => void;
}) {
  return (
    <div data-testid="rules-form">
      {rules.rules.length === 0 && <p className="empty">No rules: no alerts are raised.</p>}
      {rules.rules.map((r, i) => (
        <RuleForm
          // biome-ignore lint/suspicious/noArrayIndexKey: rules are edited in place and their ids may change
          key={i}
          rule={r}
          index={i}
          cameraIds={cameraIds}
          editable={editable}
          errors={errors}
          onChange={(nr) => onChange({ ...rules, rules: rules.rules.map((x, j) => (j === i ? nr : x)) })}
          onRemove={() => onChange({ ...rules, rules: rules.rules.filter((_, j) => j !== i) })}
        />
      ))}
      {editable && (
        <button
          type="button"
          onClick={() => onChange({ ...rules, rules: [...rules.rules, newRule(rules)] })}
          data-testid="rule-add"
        >
          Add a rule
        </button>
      )}
    </div>
  );
}

function RulesEditor() {
  const isAdmin = useCan("admin");
  const rulesLoad = useLoad(() => get<Rules>("/api/v1/rules"), []);
  const camerasLoad = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []);
  const [rules, setRules] = useState<Rules | null>(null);
  const [text, setText] = useState("");
  const [asJson, setAsJson] = useState(false);
  const [parseError, setParseError] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
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
    setSaveMsg(null);
  };
  const fromText = (t: string) => {
    setText(t);
    setSaveMsg(null);
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
      setErrors({});
      setSaveMsg({ ok: true, text: "Rules saved." });
    } catch (err) {
      setErrors(fieldErrorsOf(err));
      setSaveMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const cameraIds = [
    ...new Set([...(camerasLoad.data?.items ?? []).map((c) => c.cameraId), ...Object.keys(rules?.cameras ?? {})]),
  ].sort();

  return (
    <section className="card wide" aria-labelledby="rules-title" data-testid="rules">
      <h2 id="rules-title">Alert rules</h2>
      <ErrorBox error={rulesLoad.error ?? camerasLoad.error} />
      {!rules && !rulesLoad.error && <Loading />}
      {rules && (
        <>
          <h3>Camera roles and open hours</h3>
          <CameraRoles
            rules={rules}
            cameras={camerasLoad.data?.items ?? []}
            editable={isAdmin && !asJson}
            errors={errors}
            onChange={fromForm}
          />
          <h3>Rules</h3>
          <p className="muted small">
            Who is on the watchlist is set on each person (People). Alerts go to the console; the Telegram bot follows the same
            alerts.
          </p>
          <FieldError errors={errors} path="rules" />
          <FieldError errors={errors} path="" />
          {!asJson && <RulesList rules={rules} cameraIds={cameraIds} editable={isAdmin} errors={errors} onChange={fromForm} />}
          <label className="check">
            <input type="checkbox" checked={asJson} onChange={(e) => setAsJson(e.target.checked)} data-testid="rules-advanced" />
            Advanced: edit as JSON
          </label>
          {asJson && <JsonEditor text={text} editable={isAdmin} parseError={parseError} onChange={fromText} />}
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

export function Settings() {
  const operator = useCan("operator");
  return (
    <section>
      <h1>Settings</h1>
      <div className="settings-grid">
        <Preferences />
        <RulesEditor />
        {operator && <Thresholds />}
      </div>
    </section>
  );
}
