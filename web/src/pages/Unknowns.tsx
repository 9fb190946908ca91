/**
 * The review queue of unknown faces, one card per track (a camera pass: its best shot, how many shots, when), grouped
 * under the visitor the trainer clustered them into: enroll the best shot as a new person, or say who it is.
 */
import { type FormEvent, useState } from "react";
import { cropUrl, errorText, get, post } from "../api.ts";
import type { EnrollResult, UnknownResolution, UnknownTrack, UnknownVisitor, UnknownsPage } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { useCan } from "../session.tsx";
import { NO_NAME, NameFields, PersonPicker, trimmed, usePersonPick } from "../personFields.tsx";
import { Empty, ErrorBox, FormError, Loading, formatDateTime, formatTime, useAction, useLoad } from "../ui.tsx";

type Item = UnknownTrack;

/** A refused enrollment says why (the photo's reason); anything else in the portal's words. */
function reviewError(err: unknown): string {
  const reason = (err as { body?: EnrollResult }).body?.photos?.[0]?.reason?.message;
  return reason ? `Rejected: ${reason}` : errorText(err);
}

function Review({ item, onResolved }: { item: Item; onResolved: () => void }) {
  const [mode, setMode] = useState<"none" | "new" | "assign">("none");
  const [who, setWho] = useState(NO_NAME);
  const pick = usePersonPick(mode === "assign");
  const { busy, error, run } = useAction(onResolved, reviewError);

  const enroll = (e: FormEvent) => {
    e.preventDefault();
    void run(() => post(`/api/v1/unknowns/${encodeURIComponent(item.best.sightingId)}/enroll`, trimmed(who)));
  };
  const assign = (e: FormEvent) => {
    e.preventDefault();
    const { personId } = pick;
    if (personId) void run(() => post(`/api/v1/unknowns/${encodeURIComponent(item.best.sightingId)}/assign`, { personId }));
  };

  return (
    <div className="review">
      <div className="row">
        <button type="button" aria-pressed={mode === "new"} onClick={() => setMode(mode === "new" ? "none" : "new")}>
          Enroll as new person
        </button>
        <button type="button" aria-pressed={mode === "assign"} onClick={() => setMode(mode === "assign" ? "none" : "assign")}>
          This is…
        </button>
      </div>
      {mode === "new" && (
        <form onSubmit={enroll}>
          <NameFields value={who} onChange={setWho} />
          <button type="submit" className="primary" disabled={busy}>
            Enroll
          </button>
        </form>
      )}
      {mode === "assign" && (
        <form onSubmit={assign}>
          <PersonPicker pick={pick} />
          <button type="submit" className="primary" disabled={busy || !pick.personId}>
            Add this face to them
          </button>
        </form>
      )}
      <FormError error={error} />
    </div>
  );
}

function resolutionText(r: UnknownResolution): string {
  const who = r.name ?? r.personId ?? "";
  return r.kind === "ignored" ? `ignored by ${r.by}` : `${r.kind} as ${who} by ${r.by}`;
}

function TrackCard({ item, canReview, onResolved }: { item: Item; canReview: boolean; onResolved: () => void }) {
  const src = item.best.cropKey ? cropUrl(item.best.cropKey) : null;
  const open = item.status === "open";
  return (
    <li
      className={`card unknown${open ? "" : " closed"}`}
      data-testid="unknown"
      data-track={item.trackKey}
      data-sighting-id={item.best.sightingId}
      data-status={item.status}
    >
      {src ? <img src={src} alt="Unknown face (best shot)" /> : <div className="noimg">no crop</div>}
      <div className="small">
        <strong>{item.cameraId}</strong> ·{" "}
        <span data-testid="unknown-shots">{item.shots === 1 ? "1 shot" : `${item.shots} shots`}</span> · best quality{" "}
        {item.best.quality.toFixed(2)}
      </div>
      <div className="small muted">
        {formatDateTime(item.firstSeen)}
        {item.lastSeen !== item.firstSeen && ` – ${formatTime(item.lastSeen)}`}
      </div>
      <div className="small muted" data-testid="unknown-nearest">
        {item.nearest
          ? `nearest: ${item.nearest.name ?? item.nearest.personId} (${item.nearest.score.toFixed(2)})`
          : "no one close"}
      </div>
      {item.resolution && (
        <div className="small" data-testid="unknown-resolution">
          Closed: {resolutionText(item.resolution)}
        </div>
      )}
      {open && canReview && <Review item={item} onResolved={onResolved} />}
    </li>
  );
}

function VisitorHeader({ v }: { v: UnknownVisitor }) {
  return (
    <header className="row" data-testid="unknown-visitor-header">
      <h2>Visitor {v.visitorId.slice(0, 8)}</h2>
      <span className="small muted">
        {v.visits === 1 ? "1 visit" : `${v.visits} visits`} · {v.faces} faces · {v.cameras.join(", ")} · last seen{" "}
        {formatDateTime(v.lastSeen)}
      </span>
      <span className={`chip ${v.status === "open" ? "" : "closed"}`} data-testid="unknown-visitor-status">
        {v.status === "open" ? "open" : `closed: ${v.resolution ? resolutionText(v.resolution) : v.status}`}
      </span>
    </header>
  );
}

export function Unknowns() {
  const canReview = useCan("operator");
  const [showClosed, setShowClosed] = useState(false);
  const { data, error, reload } = useLoad(
    () => get<UnknownsPage>(`/api/v1/unknowns?limit=60&status=${showClosed ? "all" : "open"}`),
    [showClosed],
  );
  // a new unknown shot (or a visitor clustered, named, ignored): the page again, at most every 2 s
  const [pending, setPending] = useState(false);
  const later = () => {
    if (pending) return;
    setPending(true);
    setTimeout(() => {
      setPending(false);
      reload();
    }, 2000);
  };
  useLiveEvent("sighting", (s) => {
    if (s.decision === "unknown") later();
  });
  useLiveEvent("visitor", () => later());

  const items = data?.items ?? [];
  const groups = (data?.visitors ?? []).map((v) => ({ v, tracks: items.filter((i) => i.visitorId === v.visitorId) }));
  const loose = items.filter((i) => i.visitorId === null);
  const cards = (tracks: Item[]) => (
    <ul className="plain unknown-grid">
      {tracks.map((t) => (
        <TrackCard key={t.trackKey} item={t} canReview={canReview} onResolved={reload} />
      ))}
    </ul>
  );

  return (
    <section>
      <h1>Unknown faces</h1>
      <p className="muted">
        One card per camera pass, its best shot first, grouped by visitor when the same face came back.{" "}
        {!canReview && "Your role can view them only."}
      </p>
      <label className="check">
        <input
          type="checkbox"
          data-testid="unknowns-show-closed"
          checked={showClosed}
          onChange={(e) => setShowClosed(e.target.checked)}
        />
        Show closed ones too
      </label>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && items.length === 0 && (
        <Empty testId="unknowns-empty">The queue is empty: every face was recognised or reviewed.</Empty>
      )}
      <div data-testid="unknowns">
        {groups.map(({ v, tracks }) => (
          <section key={v.visitorId} className="unknown-visitor" data-testid="unknown-visitor" data-visitor-id={v.visitorId}>
            <VisitorHeader v={v} />
            {cards(tracks)}
          </section>
        ))}
        {loose.length > 0 && (
          <section className="unknown-visitor" data-testid="unknown-loose">
            {groups.length > 0 && <h2>Not clustered yet</h2>}
            {cards(loose)}
          </section>
        )}
      </div>
    </section>
  );
}
