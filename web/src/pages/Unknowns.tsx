/** The review queue of unknown faces: enroll as a new person, or say who it is (adds the crop as a template). */
import { type FormEvent, useEffect, useState } from "react";
import { cropUrl, errorText, get, post } from "../api.ts";
import type { EnrollResult, GetUnknownsResponse, Sighting } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { useCan } from "../session.tsx";
import { Empty, ErrorBox, Loading, formatDateTime, useLoad, usePersonSearch } from "../ui.tsx";

interface Item extends Sighting {
  src: string | null;
}

const itemOf = (s: Sighting): Item => ({ ...s, src: s.cropKey ? cropUrl(s.cropKey) : null });

function Review({ item, onResolved }: { item: Item; onResolved: (id: string) => void }) {
  const [mode, setMode] = useState<"none" | "new" | "assign">("none");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [query, setQuery] = useState("");
  const [personId, setPersonId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const matches = usePersonSearch(mode === "assign", query);

  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onResolved(item.id);
    } catch (err) {
      const body = (err as { body?: EnrollResult }).body;
      const reason = body?.photos?.[0]?.reason?.message;
      setError(reason ? `Rejected: ${reason}` : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const enroll = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      post(`/api/v1/unknowns/${encodeURIComponent(item.id)}/enroll`, { name: name.trim(), description: description.trim() }),
    );
  };
  const assign = (e: FormEvent) => {
    e.preventDefault();
    if (personId) void run(() => post(`/api/v1/unknowns/${encodeURIComponent(item.id)}/assign`, { personId }));
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
          <label>
            Name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Position or description
            <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Enroll
          </button>
        </form>
      )}
      {mode === "assign" && (
        <form onSubmit={assign}>
          <label>
            Find the person
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </label>
          <label>
            Person
            <select required value={personId} onChange={(e) => setPersonId(e.target.value)}>
              <option value="">Choose…</option>
              {matches.map((p) => (
                <option key={p.personId} value={p.personId}>
                  {p.name}
                  {p.description ? ` - ${p.description}` : ""}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={busy || !personId}>
            Add this face to them
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Unknowns() {
  const canReview = useCan("operator");
  const { data, error } = useLoad(() => get<GetUnknownsResponse>("/api/v1/unknowns?limit=60"), []);
  const [items, setItems] = useState<Item[]>([]);
  const [resolved, setResolved] = useState<string[]>([]);
  useEffect(() => {
    if (data) setItems(data.items.map(itemOf));
  }, [data]);
  useLiveEvent("sighting", ({ probable: _, ...s }) => {
    if (s.decision !== "unknown") return; // a recognition: the dashboard's
    const item = itemOf(s);
    setItems((list) => (list.some((x) => x.id === item.id) ? list : [item, ...list].slice(0, 200)));
  });
  const visible = items.filter((i) => !resolved.includes(i.id));

  return (
    <section>
      <h1>Unknown faces</h1>
      <p className="muted">Faces nobody was recognised as, newest first. {!canReview && "Your role can view them only."}</p>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && visible.length === 0 && (
        <Empty testId="unknowns-empty">The queue is empty: every face was recognised or reviewed.</Empty>
      )}
      <ul className="plain unknown-grid" data-testid="unknowns">
        {visible.map((s) => (
          <li key={s.id} className="card unknown" data-testid="unknown" data-sighting-id={s.id}>
            {s.src ? <img src={s.src} alt="Unknown face" /> : <div className="noimg">no crop</div>}
            <div className="small">
              {s.cameraId} · {formatDateTime(s.at)} · best {s.score.toFixed(2)}
            </div>
            {canReview && <Review item={s} onResolved={(id) => setResolved((r) => [...r, id])} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
