/**
 * One occurrence of a session, live (refreshed every few seconds): expected, present, late, missing, excused,
 * unexpected, seen only as "probable", unknown faces; each person's enrolled photo beside the best capture with the
 * score. Operators correct it (mark present, excuse, reject a recognition, undo), recorded with their name; at an
 * exam they confirm or flag each recognition side by side; at an event the check-in counters lead.
 */
import { type FormEvent, useEffect, useState } from "react";
import { cropUrl, get, photoUrl, post } from "../api.ts";
import type { AttendancePerson, CheckInView, ExamCheck, OccurrenceView, SessionUnknownTrack } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { Link } from "../router.tsx";
import { useCan } from "../session.tsx";
import { ErrorBox, InlineError, Loading, formatTime, useAction, useLoad } from "../ui.tsx";

type Action = "mark-present" | "excuse" | "reject-recognition" | "undo";

function Faces({ photoKey, cropKey, name }: { photoKey: string | null; cropKey: string | null; name: string }) {
  return (
    <div className="faces">
      {photoKey ? <img src={photoUrl(photoKey)} alt={`${name}, enrolled`} /> : <span className="noface">no photo</span>}
      {cropKey ? <img src={cropUrl(cropKey)} alt={`${name}: best capture`} /> : <span className="noface">not seen</span>}
    </div>
  );
}

function PersonCard({
  p,
  base,
  operator,
  onChanged,
}: {
  p: AttendancePerson;
  base: string;
  operator: boolean;
  onChanged: () => void;
}) {
  const { busy, error, run } = useAction(onChanged);
  const name = p.name ?? p.personId;
  const correct = (action: Action, trackId?: string | null) =>
    run(() => post(`${base}/corrections`, { personId: p.personId, action, ...(trackId ? { trackId } : {}) }));
  const seen = p.firstSeenAt !== null;
  return (
    <li className="person-card" data-testid={`attendee-${p.personId}`} data-status={p.status}>
      <Faces photoKey={p.photoKey} cropKey={p.cropKey} name={name} />
      <div>
        <strong>{name}</strong>
        {!p.onRoster && <span className="tag danger"> not on the roster</span>}
        <div className="muted small">
          {seen ? `first seen ${formatTime(p.firstSeenAt)} on ${p.cameraId}, score ${p.score?.toFixed(2)}` : "not seen"}
          {p.manual ? ` · ${p.manual.action === "excuse" ? "excused" : "marked present"} by ${p.manual.by}` : ""}
        </div>
        {operator && (
          <div className="row wrap small">
            {!seen && p.status !== "excused" && !p.manual && (
              <>
                <button type="button" disabled={busy} onClick={() => void correct("mark-present")}>
                  Mark present
                </button>
                <button type="button" disabled={busy} onClick={() => void correct("excuse")}>
                  Excuse
                </button>
              </>
            )}
            {seen && p.trackId && (
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() => void correct("reject-recognition", p.trackId)}
              >
                Not this person
              </button>
            )}
            {p.manual && (
              <button type="button" disabled={busy} onClick={() => void correct("undo")}>
                Undo
              </button>
            )}
          </div>
        )}
        <InlineError error={error} />
      </div>
    </li>
  );
}

function PeopleList(props: {
  title: string;
  testId: string;
  people: AttendancePerson[];
  base: string;
  operator: boolean;
  onChanged: () => void;
}) {
  if (props.people.length === 0) return null;
  return (
    <section className="card" aria-label={props.title} data-testid={props.testId}>
      <h2>
        {props.title} ({props.people.length})
      </h2>
      <ul className="plain cards">
        {props.people.map((p) => (
          <PersonCard key={p.personId} p={p} base={props.base} operator={props.operator} onChanged={props.onChanged} />
        ))}
      </ul>
    </section>
  );
}

function ExamChecks({ base, operator }: { base: string; operator: boolean }) {
  const checks = useLoad(() => get<{ items: ExamCheck[] }>(`${base}/checks`), [base]);
  const { busy, error, run } = useAction(checks.reload);
  const items = checks.data?.items ?? [];
  const pending = items.filter((x) => x.verdict === "pending");
  return (
    <section className="card" aria-labelledby="checks-title" data-testid="exam-checks">
      <h2 id="checks-title">Identity checks ({pending.length} waiting)</h2>
      <ErrorBox error={checks.error} />
      <ul className="plain cards">
        {items.map((x) => (
          <li
            key={`${x.personId}/${x.trackId}`}
            className="person-card"
            data-testid={`check-${x.personId}`}
            data-verdict={x.verdict}
          >
            <Faces photoKey={x.photoKey} cropKey={x.cropKey} name={x.name ?? x.personId} />
            <div>
              <strong>{x.name ?? x.personId}</strong> {!x.onRoster && <span className="tag danger">not on the roster</span>}
              <div className="muted small">
                {formatTime(x.firstSeenAt)} on {x.cameraId}, score {x.score.toFixed(2)}
                {x.confirmed ? "" : " (probable)"} · {x.verdict}
                {x.verdictBy ? ` by ${x.verdictBy}` : ""}
              </div>
              {operator && x.verdict === "pending" && (
                <div className="row small">
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      void run(() => post(`${base}/checks`, { personId: x.personId, trackId: x.trackId, verdict: "confirmed" }))
                    }
                  >
                    Same person
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={busy}
                    onClick={() =>
                      void run(() => post(`${base}/checks`, { personId: x.personId, trackId: x.trackId, verdict: "flagged" }))
                    }
                  >
                    Flag
                  </button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
      <InlineError error={error} />
    </section>
  );
}

function CheckIn({ base }: { base: string }) {
  const { data } = useLoad(() => get<CheckInView>(`${base}/check-in`), [base]);
  if (!data) return null;
  const c = data.counters;
  return (
    <section className="card" aria-label="Check-in" data-testid="check-in">
      <h2>
        Checked in: {c.checkedIn} of {c.registered}
      </h2>
      <p className="muted small">
        {c.waiting} awaited · walk-ins: {c.walkInsKnown} known, {c.walkInsUnknown} unknown
      </p>
    </section>
  );
}

/** An unknown face; operators enroll the person from its best shot (a walk-in guest) and mark them present. */
function UnknownCard({
  u,
  base,
  operator,
  onChanged,
}: {
  u: SessionUnknownTrack;
  base: string;
  operator: boolean;
  onChanged: () => void;
}) {
  const [name, setName] = useState("");
  const { busy, error, run } = useAction(onChanged);
  const enroll = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const track = `/api/v1/unknowns/tracks/${encodeURIComponent(u.cameraId)}/${encodeURIComponent(u.trackId)}/enroll`;
      const r = await post<{ personId: string; enrolled: boolean }>(track, { name: name.trim() });
      if (!r.enrolled) throw new Error("the face could not be enrolled from this shot");
      await post(`${base}/corrections`, { personId: r.personId, action: "mark-present" });
    });
  };
  return (
    <li className="person-card" data-testid={`unknown-${u.trackId}`}>
      {u.cropKey ? <img src={cropUrl(u.cropKey)} alt="unknown face" /> : <span className="noface">no crop</span>}
      <div>
        <span className="muted small">
          {formatTime(u.firstSeenAt)} on {u.cameraId}
        </span>
        {operator && u.cropKey && (
          <form className="row wrap small" onSubmit={enroll}>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="name"
              required
              aria-label="Name of this person"
            />
            <button type="submit" disabled={busy}>
              Enroll as guest
            </button>
          </form>
        )}
        <InlineError error={error} />
      </div>
    </li>
  );
}

export function Occurrence({ sessionId, date }: { sessionId: string; date: string }) {
  const operator = useCan("operator");
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}/occurrences/${date}`;
  const { data: loaded, error, reload } = useLoad(() => get<OccurrenceView>(base), [base]);
  // pushed views (`session`, at most every 250 ms while it changes) win over an older load; a slow poll catches the
  // clock's changes (a start, the end) that no event pushes
  const [pushed, setPushed] = useState<OccurrenceView | null>(null);
  useLiveEvent("session", (p) => {
    if (p.view.sessionId === sessionId && p.view.date === date) setPushed(p.view);
  });
  const v = pushed && (!loaded || Date.parse(pushed.at) >= Date.parse(loaded.at)) ? pushed : loaded;
  useEffect(() => {
    const t = setInterval(reload, 15_000);
    return () => clearInterval(t);
  }, [reload]);
  const list = (title: string, testId: string, people: AttendancePerson[]) => (
    <PeopleList title={title} testId={testId} people={people} base={base} operator={operator} onChanged={reload} />
  );
  return (
    <section aria-labelledby="occurrence-title">
      <p>
        <Link to={`/sessions/${encodeURIComponent(sessionId)}`}>← the session</Link>
      </p>
      <ErrorBox error={error} />
      {!v && !error && <Loading />}
      {v && (
        <>
          <h1 id="occurrence-title">
            {v.name}, {v.date} <span className="tag">{v.phase}</span>
          </h1>
          <p data-testid="occurrence-counts">
            {formatTime(v.startAt)}–{formatTime(v.endAt)} · expected {v.counts.expected} · present {v.counts.present} · late{" "}
            {v.counts.late} · {v.phase === "ended" ? `absent ${v.counts.absent}` : `not seen yet ${v.counts.notYetSeen}`} ·
            excused {v.counts.excused} · unexpected {v.counts.unexpected} · unknown faces {v.counts.unknown}
          </p>
          <p>
            Download the attendance:{" "}
            <a href={`${base}/report.csv`} download data-testid="occurrence-csv">
              CSV
            </a>{" "}
            ·{" "}
            <a href={`${base}/report.pdf`} download data-testid="occurrence-pdf">
              PDF with the photos
            </a>
          </p>
          {v.kind === "event" && <CheckIn base={base} />}
          {v.kind === "exam" && <ExamChecks base={base} operator={operator} />}
          {list(v.phase === "ended" ? "Absent" : "Not seen yet", "list-missing", [...v.absent, ...v.notYetSeen])}
          {list("Late", "list-late", v.late)}
          {list("Present", "list-present", v.present)}
          {list("Unexpected (not on the roster)", "list-unexpected", v.unexpected)}
          {list("Seen only as probable", "list-probable", v.probableOnly)}
          {list("Excused", "list-excused", v.excused)}
          {v.unknown.length > 0 && (
            <section className="card" aria-label="Unknown faces" data-testid="list-unknown">
              <h2>
                Unknown faces ({v.unknown.length}){v.kind === "event" ? ": walk-ins" : ""}
              </h2>
              <ul className="plain cards">
                {v.unknown.map((u) => (
                  <UnknownCard key={u.trackId} u={u} base={base} operator={operator} onChanged={reload} />
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </section>
  );
}
