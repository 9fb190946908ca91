/**
 * Sessions (classes, exams, events): the list, a new session (operators: cameras, times in its time zone, once or
 * weekly, roster of groups and people, grace for lateness), and a session's occurrences with their counts, each
 * opening the live view (Occurrence.tsx).
 */
import { type FormEvent, useState } from "react";
import { del, get, post, qs } from "../api.ts";
import type { GetCamerasResponse, GetGroupsResponse, Session, SessionOccurrence } from "../api.gen.ts";
import { Link, navigate } from "../router.tsx";
import { useCan } from "../session.tsx";
import { Rates } from "./Rates.tsx";
import {
  Empty,
  ErrorBox,
  ActionsCell,
  InlineError,
  Loading,
  SubmitCancel,
  ListTable,
  TableHead,
  formatDateTime,
  useAction,
  useLoad,
  usePersonSearch,
} from "../ui.tsx";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const KIND_LABEL: Record<Session["kind"], string> = { class: "class", exam: "exam", event: "event" };

export function scheduleText(s: Session): string {
  const when =
    s.recurrence.kind === "weekly"
      ? `${s.recurrence.days.map((d) => DAYS[d]).join(", ")} from ${s.firstDate} until ${s.recurrence.until}`
      : s.firstDate;
  return `${when}, ${s.start}–${s.end} (${s.timeZone})`;
}

function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

interface Draft {
  name: string;
  kind: Session["kind"];
  cameras: string[];
  groups: string[];
  start: string;
  end: string;
  firstDate: string;
  weekly: boolean;
  days: number[];
  until: string;
  grace: string;
  timeZone: string;
  /** Dates a weekly session skips, as typed: "2026-12-31, 2027-01-07". */
  exceptions: string;
  /** People on the roster besides the groups' members. */
  people: { personId: string; name: string }[];
}

function draftBody(d: Draft) {
  return {
    name: d.name.trim(),
    kind: d.kind,
    cameras: d.cameras,
    timeZone: d.timeZone,
    start: d.start,
    end: d.end,
    firstDate: d.firstDate,
    recurrence: d.weekly ? { kind: "weekly" as const, days: d.days, until: d.until } : { kind: "none" as const },
    exceptions: d.weekly ? d.exceptions.split(/[\s,;]+/).filter(Boolean) : [],
    roster: { groups: d.groups, people: d.people.map((p) => p.personId) },
    graceMinutes: Number(d.grace),
  };
}

function Checks<T extends string | number>({
  legend,
  options,
  chosen,
  onChange,
  testId,
}: {
  legend: string;
  options: { value: T; label: string }[];
  chosen: T[];
  onChange: (v: T[]) => void;
  testId: string;
}) {
  return (
    <fieldset className="plain" data-testid={testId}>
      <legend>{legend}</legend>
      {options.length === 0 && <span className="muted small">none yet</span>}
      {options.map((o) => (
        <label key={String(o.value)} className="check">
          <input
            type="checkbox"
            checked={chosen.includes(o.value)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, o.value] : chosen.filter((x) => x !== o.value))}
          />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

/** A weekly session's days, last date and the dates it skips. */
function Weekly({ d, set }: { d: Draft; set: <K extends keyof Draft>(k: K, v: Draft[K]) => void }) {
  return (
    <div className="form-grid">
      <Checks
        legend="On"
        options={DAYS.map((l, i) => ({ value: i, label: l }))}
        chosen={d.days}
        onChange={(v) => set("days", v)}
        testId="session-days"
      />
      <label htmlFor="s-until">Until</label>
      <input
        id="s-until"
        type="date"
        value={d.until}
        onChange={(e) => set("until", e.target.value)}
        required
        data-testid="session-until"
      />
      <label htmlFor="s-exceptions">Not on (dates, comma separated)</label>
      <input
        id="s-exceptions"
        value={d.exceptions}
        onChange={(e) => set("exceptions", e.target.value)}
        placeholder="2026-12-31, 2027-01-07"
        data-testid="session-exceptions"
      />
    </div>
  );
}

/** People on a roster besides the groups: found by name, removable. */
function RosterPeople({
  chosen,
  onChange,
}: {
  chosen: { personId: string; name: string }[];
  onChange: (v: { personId: string; name: string }[]) => void;
}) {
  const [query, setQuery] = useState("");
  const matches = usePersonSearch(query.trim().length > 0, query).filter((p) => !chosen.some((c) => c.personId === p.personId));
  return (
    <fieldset className="plain" data-testid="session-people">
      <legend>Roster: more people</legend>
      {chosen.map((p) => (
        <button key={p.personId} type="button" className="link" onClick={() => onChange(chosen.filter((c) => c !== p))}>
          {p.name} ×
        </button>
      ))}
      <input
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        placeholder="add a person by name"
        aria-label="Add a person"
      />
      {matches.slice(0, 6).map((p) => (
        <button
          key={p.personId}
          type="button"
          onClick={() => {
            onChange([...chosen, { personId: p.personId, name: p.name }]);
            setQuery("");
          }}
        >
          + {p.name}
        </button>
      ))}
    </fieldset>
  );
}

function NewSession({ onDone }: { onDone: () => void }) {
  const cameras = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []).data?.items ?? [];
  const groups = useLoad(() => get<GetGroupsResponse>("/api/v1/groups"), []).data?.items ?? [];
  const [d, setD] = useState<Draft>({
    name: "",
    kind: "class",
    cameras: [],
    groups: [],
    start: "09:00",
    end: "10:30",
    firstDate: localToday(),
    weekly: false,
    days: [new Date().getDay()],
    until: localToday(),
    grace: "10",
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    exceptions: "",
    people: [],
  });
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((cur) => ({ ...cur, [k]: v }));
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const s = await post<Session>("/api/v1/sessions", draftBody(d));
      onDone();
      navigate(`/sessions/${encodeURIComponent(s.sessionId)}`);
    });
  };
  const text = (k: "name" | "start" | "end" | "firstDate" | "until" | "grace" | "timeZone", label: string, type = "text") => (
    <>
      <label htmlFor={`s-${k}`}>{label}</label>
      <input
        id={`s-${k}`}
        type={type}
        value={d[k]}
        onChange={(e) => set(k, e.target.value)}
        required
        data-testid={`session-${k}`}
      />
    </>
  );
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-session-title" data-testid="session-form">
      <h2 id="new-session-title">New session</h2>
      <div className="form-grid">
        {text("name", "Name")}
        <label htmlFor="s-kind">Kind</label>
        <select
          id="s-kind"
          value={d.kind}
          onChange={(e) => set("kind", e.target.value as Session["kind"])}
          data-testid="session-kind"
        >
          <option value="class">class (attendance)</option>
          <option value="exam">exam (identity checks)</option>
          <option value="event">event (check-in)</option>
        </select>
        {text("firstDate", "Date (first)", "date")}
        {text("start", "Starts", "time")}
        {text("end", "Ends", "time")}
        {text("timeZone", "Time zone")}
        {text("grace", "On time up to (minutes after the start)", "number")}
        <span>Repeats</span>
        <label className="check">
          <input
            type="checkbox"
            checked={d.weekly}
            onChange={(e) => set("weekly", e.target.checked)}
            data-testid="session-weekly"
          />{" "}
          weekly
        </label>
      </div>
      {d.weekly && <Weekly d={d} set={set} />}
      <Checks
        legend="Cameras"
        options={cameras.map((c) => ({ value: c.cameraId, label: c.name }))}
        chosen={d.cameras}
        onChange={(v) => set("cameras", v)}
        testId="session-cameras"
      />
      <Checks
        legend="Roster: groups"
        options={groups.map((g) => ({ value: g.groupId, label: `${g.name} (${g.members.length})` }))}
        chosen={d.groups}
        onChange={(v) => set("groups", v)}
        testId="session-groups"
      />
      <RosterPeople chosen={d.people} onChange={(v) => set("people", v)} />
      <InlineError error={error} />
      <SubmitCancel label="Schedule" busy={busy} testId="session-save" onCancel={onDone} />
    </form>
  );
}

export function Sessions() {
  const operator = useCan("operator");
  const [adding, setAdding] = useState(false);
  const { data, error, reload } = useLoad(() => get<{ items: Session[] }>("/api/v1/sessions"), []);
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <p className="muted small">
        Classes, exams and events with a roster: who came, who was late, who is missing. Rosters are built from{" "}
        <Link to="/groups">groups</Link>.
      </p>
      <ErrorBox error={error} />
      {operator && !adding && (
        <button type="button" className="primary" onClick={() => setAdding(true)} data-testid="session-add">
          New session
        </button>
      )}
      {adding && (
        <NewSession
          onDone={() => {
            setAdding(false);
            reload();
          }}
        />
      )}
      {!data && !error && <Loading />}
      {data && (
        <ListTable
          columns={["Session", "Kind", "When", "Cameras", "Owner"]}
          rows={data.items}
          empty={<Empty testId="sessions-empty">No sessions yet.</Empty>}
          testId="sessions-table"
          row={(s) => (
            <tr key={s.sessionId} className={s.cancelled ? "muted" : ""}>
              <th scope="row">
                <Link to={`/sessions/${encodeURIComponent(s.sessionId)}`}>{s.name}</Link>
                {s.cancelled && <span className="tag danger"> cancelled</span>}
              </th>
              <td>{KIND_LABEL[s.kind]}</td>
              <td>{scheduleText(s)}</td>
              <td>{s.cameras.join(", ")}</td>
              <td>{s.owner}</td>
            </tr>
          )}
        />
      )}
    </section>
  );
}

function OccurrenceRow({ o, operator, onChanged }: { o: SessionOccurrence; operator: boolean; onChanged: () => void }) {
  const { error, run } = useAction(onChanged);
  const c = o.counts;
  const sid = encodeURIComponent(o.sessionId);
  return (
    <tr data-testid={`occurrence-${o.date}`} data-phase={o.phase}>
      <th scope="row">
        <Link to={`/sessions/${sid}/${o.date}`}>{o.date}</Link>
      </th>
      <td>
        {formatDateTime(o.startAt)} – {formatDateTime(o.endAt)}
        {o.shifted && <span className="muted small"> (moved by a clock change)</span>}
      </td>
      <td>{o.phase}</td>
      <td>{c ? `${c.present} present, ${c.late} late, ${c.absent + c.notYetSeen} missing, ${c.unexpected} unexpected` : "–"}</td>
      <ActionsCell shown={operator} error={error}>
        {o.phase === "upcoming" && (
          <button
            type="button"
            className="link small"
            onClick={() =>
              window.confirm(`Cancel the session on ${o.date}?`) &&
              void run(() => del(`/api/v1/sessions/${sid}${qs({ date: o.date })}`))
            }
          >
            cancel this one
          </button>
        )}
      </ActionsCell>
    </tr>
  );
}

export function SessionDetail({ sessionId }: { sessionId: string }) {
  const operator = useCan("operator");
  const id = encodeURIComponent(sessionId);
  const session = useLoad(() => get<Session>(`/api/v1/sessions/${id}`), [id]);
  const occ = useLoad(() => get<{ items: SessionOccurrence[] }>(`/api/v1/sessions/${id}/occurrences`), [id]);
  const s = session.data;
  return (
    <section aria-labelledby="session-title">
      <p>
        <Link to="/sessions">← Sessions</Link>
      </p>
      <ErrorBox error={session.error ?? occ.error} />
      {!s && !session.error && <Loading />}
      {s && (
        <>
          <h1 id="session-title">
            {s.name} <span className="tag">{KIND_LABEL[s.kind]}</span>
            {s.cancelled && <span className="tag danger">cancelled</span>}
          </h1>
          <p>
            {scheduleText(s)} · cameras {s.cameras.join(", ")} · on time up to {s.graceMinutes} min after the start · owner{" "}
            {s.owner}
          </p>
          <p className="muted small">
            Roster: {s.roster.groups.length} group(s), {s.roster.people.length} more people.
          </p>
        </>
      )}
      {occ.data && (
        <table data-testid="occurrences">
          <TableHead columns={["Date", "Time", "State", "Attendance", operator && "Actions"]} />
          <tbody>
            {occ.data.items.map((o) => (
              <OccurrenceRow key={o.occurrenceId} o={o} operator={operator} onChanged={occ.reload} />
            ))}
          </tbody>
        </table>
      )}
      {s && <Rates path={`/api/v1/sessions/${id}/rates`} />}
    </section>
  );
}
