/**
 * Unknown visitors: recurring unknown faces the trainer grouped, with their best faces. Operators name one (a new
 * person, or an existing one: its faces become their templates) or ignore it (no more unknown-face alerts for it).
 */
import { type FormEvent, useEffect, useState } from "react";
import { cropUrl, get, post, qs } from "../api.ts";
import type {
  GetVisitorsResponse,
  LiveVisitor,
  PostVisitorsVisitorIdIgnoreResponse,
  PostVisitorsVisitorIdNameResponse,
  Visitor,
  VisitorStatus,
} from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { Link } from "../router.tsx";
import { useCan } from "../session.tsx";
import { applyVisitorPush } from "../visitors.ts";
import { NO_NAME, NameFields, PersonPicker, trimmed, usePersonPick } from "../personFields.tsx";
import { Empty, ErrorBox, FormError, Loading, Pager, Tabs, formatDateTime, useAction, useLoad } from "../ui.tsx";

const PAGE = 24;
const TABS: { status: VisitorStatus; label: string }[] = [
  { status: "open", label: "Open" },
  { status: "named", label: "Named" },
  { status: "ignored", label: "Ignored" },
];

function NameForm({ visitor, onDone }: { visitor: Visitor; onDone: (v: Visitor | null) => void }) {
  const [mode, setMode] = useState<"new" | "existing">("new");
  const [who, setWho] = useState(NO_NAME);
  const pick = usePersonPick(mode === "existing");
  const { busy, error, run } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { name, description } = trimmed(who);
    const body = mode === "new" ? { name, ...(description ? { description } : {}) } : { personId: pick.personId };
    void run(async () => {
      const r = await post<PostVisitorsVisitorIdNameResponse>(
        `/api/v1/visitors/${encodeURIComponent(visitor.visitorId)}/name`,
        body,
      );
      onDone(r.visitor);
    });
  };

  return (
    <form onSubmit={submit} data-testid="visitor-name-form">
      <fieldset className="row choice">
        <legend>Who is it?</legend>
        <label className="check">
          <input type="radio" name={`mode-${visitor.visitorId}`} checked={mode === "new"} onChange={() => setMode("new")} />A new
          person
        </label>
        <label className="check">
          <input
            type="radio"
            name={`mode-${visitor.visitorId}`}
            checked={mode === "existing"}
            onChange={() => setMode("existing")}
            data-testid="visitor-name-existing"
          />
          Someone enrolled
        </label>
      </fieldset>
      {mode === "new" ? <NameFields value={who} onChange={setWho} /> : <PersonPicker pick={pick} />}
      <button
        type="submit"
        className="primary"
        disabled={busy || (mode === "existing" && !pick.personId)}
        data-testid="visitor-name-submit"
      >
        {mode === "new" ? "Enroll these faces" : "Add these faces to them"}
      </button>
      <FormError error={error} />
    </form>
  );
}

function IgnoreForm({ visitor, onDone }: { visitor: Visitor; onDone: (v: Visitor | null) => void }) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await post<PostVisitorsVisitorIdIgnoreResponse>(
        `/api/v1/visitors/${encodeURIComponent(visitor.visitorId)}/ignore`,
        { reason: reason.trim() },
      );
      onDone(r.visitor);
    });
  };
  return (
    <form onSubmit={submit} data-testid="visitor-ignore-form">
      <p className="small muted">No more unknown-face alerts for this face.</p>
      <label>
        Reason (optional)
        <input maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="visitor-ignore-submit">
        Ignore this visitor
      </button>
      <FormError error={error} />
    </form>
  );
}

function Decision({ v }: { v: Visitor }) {
  const d = v.decision;
  if (!d) return null;
  return (
    <p className="small" data-testid="visitor-decision">
      {d.kind === "named" ? (
        <>
          Named{" "}
          {d.personId ? <Link to={`/people/${encodeURIComponent(d.personId)}`}>{d.personName ?? d.personId}</Link> : d.personName}
          {d.existing ? " (added to them)" : " (new person)"}
        </>
      ) : (
        <>Ignored{d.reason ? `: ${d.reason}` : ""}</>
      )}{" "}
      <span className="muted">
        by {d.by}, {formatDateTime(d.at)}
        {d.inheritedFrom && " (decided about a visitor merged into this one)"}
      </span>
    </p>
  );
}

function VisitorCard({ v, canAct, onDecided }: { v: Visitor; canAct: boolean; onDecided: (v: Visitor | null) => void }) {
  const [mode, setMode] = useState<"none" | "name" | "ignore">("none");
  return (
    <li className="card visitor" data-testid="visitor" data-visitor-id={v.visitorId} data-status={v.status}>
      <div className="visitor-faces">
        {v.bestCrops.map((c, i) =>
          c.cropKey ? (
            <img
              key={c.detectionId}
              src={cropUrl(c.cropKey)}
              alt={i === 0 ? "Best face of this visitor" : "Another face of this visitor"}
              data-testid="visitor-face"
            />
          ) : (
            <div key={c.detectionId} className="noimg">
              no crop
            </div>
          ),
        )}
      </div>
      <div className="visitor-body">
        <div>
          <strong data-testid="visitor-visits">
            {v.visits} visit{v.visits === 1 ? "" : "s"}
          </strong>{" "}
          <span className="muted">
            · {v.faces} face{v.faces === 1 ? "" : "s"}
          </span>
          {v.status !== "open" && <span className={`tag${v.status === "ignored" ? "" : " ok"}`}>{v.status}</span>}
        </div>
        <div className="small">
          {v.cameras.map((c) => (
            <span key={c} className="tag">
              {c}
            </span>
          ))}
        </div>
        <div className="small muted">
          first seen {formatDateTime(v.firstSeen)} · last seen {formatDateTime(v.lastSeen)}
        </div>
        <Decision v={v} />
        {canAct && v.status === "open" && (
          <div className="review">
            <div className="row">
              <button
                type="button"
                aria-pressed={mode === "name"}
                onClick={() => setMode(mode === "name" ? "none" : "name")}
                data-testid="visitor-name"
              >
                Name…
              </button>
              <button
                type="button"
                aria-pressed={mode === "ignore"}
                onClick={() => setMode(mode === "ignore" ? "none" : "ignore")}
                data-testid="visitor-ignore"
              >
                Ignore
              </button>
            </div>
            {mode === "name" && <NameForm visitor={v} onDone={onDecided} />}
            {mode === "ignore" && <IgnoreForm visitor={v} onDone={onDecided} />}
          </div>
        )}
      </div>
    </li>
  );
}

export function Visitors() {
  const canAct = useCan("operator");
  const [status, setStatus] = useState<VisitorStatus>("open");
  const [offset, setOffset] = useState(0);
  const { data, error } = useLoad(
    () => get<GetVisitorsResponse>(`/api/v1/visitors${qs({ status, limit: PAGE, offset })}`),
    [status, offset],
  );
  // what the page loaded, plus pushes
  const [view, setView] = useState<{ items: Visitor[]; total: number }>({ items: [], total: 0 });
  useEffect(() => {
    if (data) setView({ items: data.items, total: data.total });
  }, [data]);
  const { items, total } = view;

  const apply = (push: LiveVisitor) =>
    setView((cur) => {
      const r = applyVisitorPush(cur.items, push, status);
      return { items: r.list, total: Math.max(0, cur.total + r.delta) };
    });
  useLiveEvent("visitor", apply);
  // the answer to our own decision, before its push arrives
  const decided = (visitorId: string) => (v: Visitor | null) => apply({ visitorId, visitor: v, removed: [] });

  return (
    <section>
      <h1>Visitors</h1>
      <p className="muted">
        Faces nobody is enrolled as that keep coming back, grouped by the system, most recently seen first.{" "}
        {!canAct && "Your role can view them only."}
      </p>
      <Tabs
        label="Show visitors by status"
        tabs={TABS}
        value={status}
        onChange={(t) => {
          setStatus(t);
          setOffset(0);
        }}
        testId="visitors-tab"
      />
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && items.length === 0 && (
        <Empty testId="visitors-empty">
          {status === "open" ? "No visitor is waiting for a decision." : `No ${status} visitors.`}
        </Empty>
      )}
      <ul className="plain visitor-list" data-testid="visitors">
        {items.map((v) => (
          <VisitorCard key={v.visitorId} v={v} canAct={canAct} onDecided={decided(v.visitorId)} />
        ))}
      </ul>
      <Pager offset={offset} total={total} page={PAGE} onChange={setOffset} />
    </section>
  );
}
