/** People: search, the list, and enrollment by photo upload (operator+), with the outcome per photo. */
import { type FormEvent, useEffect, useState } from "react";
import { get, photoUrl, qs, upload } from "../api.ts";
import type { EnrollResult, GetPeopleResponse } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { Link, navigate } from "../router.tsx";
import { useCan } from "../session.tsx";
import { NO_NAME, NameFields, trimmed } from "../personFields.tsx";
import { Empty, ErrorBox, Loading, Pager, useLoad, useUpload } from "../ui.tsx";

const PAGE = 24;

export function PhotoResults({ result }: { result: EnrollResult }) {
  return (
    <ul className="photo-results" data-testid="enroll-results">
      {result.photos.map((p, i) => (
        <li
          // biome-ignore lint/suspicious/noArrayIndexKey: the same file name may be uploaded twice
          key={`${p.file}-${i}`}
          className={p.outcome === "added" ? "ok" : "bad"}
          data-testid="enroll-result"
          data-outcome={p.outcome}
        >
          {p.photoKey && <img className="mini" src={photoUrl(p.photoKey)} alt="" />} <strong>{p.file}</strong>:{" "}
          {p.outcome === "added" ? "face added" : `rejected - ${p.reason?.message ?? "no reason given"}`}
          {p.reason && <code className="small"> ({p.reason.code})</code>}
        </li>
      ))}
    </ul>
  );
}

/** Some photo was refused as another person's ("duplicate-of"): the user may confirm and send it again. */
export function hasDuplicates(result: EnrollResult | null): boolean {
  return result?.photos.some((p) => p.outcome === "rejected" && p.reason?.code === "duplicate-of") ?? false;
}

/** The confirm button shown next to "duplicate-of" refusals. */
export function EnrollAnyway({ onConfirm, busy }: { onConfirm: () => void; busy: boolean }) {
  return (
    <p className="warn" data-testid="duplicate-confirm">
      A photo belongs to someone already in the library. Enroll it anyway only if this really is another person (a twin, say) or
      the same person under a second entry on purpose.{" "}
      <button type="button" onClick={onConfirm} disabled={busy} data-testid="enroll-anyway">
        Enroll anyway
      </button>
    </p>
  );
}

export function Progress({ value, label }: { value: number | null; label: string }) {
  if (value === null) return null;
  return (
    <div className="progress" data-testid="upload-progress">
      <progress max={1} value={value} aria-label={label} />
      <span>{value < 1 ? `${Math.round(value * 100)} % uploaded` : "processing the photos…"}</span>
    </div>
  );
}

function EnrollForm({ onDone }: { onDone: () => void }) {
  const [who, setWho] = useState(NO_NAME);
  const [photos, setPhotos] = useState<File[]>([]);
  const [sound, setSound] = useState<File | null>(null);
  const [result, setResult] = useState<EnrollResult | null>(null);
  const { progress, error, setError, send } = useUpload();
  const [formKey, setFormKey] = useState(0);

  const submit = (e: FormEvent | null, allowDuplicate = false) => {
    e?.preventDefault();
    setResult(null);
    if (photos.length === 0 || photos.length > 10) {
      setError("Choose between 1 and 10 photos.");
      return;
    }
    const form = new FormData();
    const { name, description } = trimmed(who);
    form.set("name", name);
    form.set("description", description);
    for (const p of photos) form.append("photo", p, p.name);
    if (sound) form.set("sound", sound, sound.name);
    void send(async (onProgress) => {
      const r = await upload<EnrollResult>(
        "POST",
        `/api/v1/people${allowDuplicate ? "?allowDuplicate=true" : ""}`,
        form,
        onProgress,
      );
      setResult(r.body);
      if (r.body.enrolled) {
        setWho(NO_NAME);
        setPhotos([]);
        setSound(null);
        setFormKey((k) => k + 1);
        onDone();
      }
    });
  };

  return (
    <form className="card enroll" onSubmit={submit} data-testid="enroll-form" aria-labelledby="enroll-title" key={formKey}>
      <h2 id="enroll-title">Enroll a person</h2>
      <NameFields value={who} onChange={setWho} testId="enroll" />
      <label>
        Photos (1 to 10, one face each)
        <input
          type="file"
          accept="image/*"
          multiple
          required
          onChange={(e) => setPhotos([...(e.target.files ?? [])])}
          data-testid="enroll-photos"
        />
      </label>
      <label>
        Greeting sound (optional, mp3)
        <input type="file" accept="audio/mpeg,.mp3" onChange={(e) => setSound(e.target.files?.[0] ?? null)} />
      </label>
      <button type="submit" className="primary" disabled={progress !== null} data-testid="enroll-submit">
        {progress !== null ? "Enrolling…" : "Enroll"}
      </button>
      <Progress value={progress} label="Upload progress" />
      {error && (
        <div className="error" role="alert" data-testid="enroll-error">
          {error}
        </div>
      )}
      {result && (
        <div role="status" data-testid="enroll-outcome" data-enrolled={String(result.enrolled)}>
          {result.enrolled && result.personId ? (
            <p className="ok">
              Enrolled.{" "}
              <Link to={`/people/${encodeURIComponent(result.personId)}`} data-testid="enrolled-link">
                Open the person
              </Link>
            </p>
          ) : (
            <p className="bad">Not enrolled: no photo was usable.</p>
          )}
          <PhotoResults result={result} />
          {!result.enrolled && hasDuplicates(result) && (
            <EnrollAnyway onConfirm={() => void submit(null, true)} busy={progress !== null} />
          )}
        </div>
      )}
    </form>
  );
}

export function People() {
  const canEnroll = useCan("operator");
  const [query, setQuery] = useState("");
  const [q, setQ] = useState("");
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => {
      setQ(query.trim());
      setOffset(0);
    }, 250);
    return () => clearTimeout(t);
  }, [query]);
  const { data, error, reload } = useLoad(
    () => get<GetPeopleResponse>(`/api/v1/people${qs({ q, limit: PAGE, offset })}`),
    [q, offset],
  );
  useLiveEvent("person", reload);

  return (
    <section>
      <h1>People</h1>
      <div className="people-layout">
        <div>
          <form className="searchbar" onSubmit={(e) => e.preventDefault()}>
            <label>
              Search by name
              <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="people-search" />
            </label>
          </form>
          <ErrorBox error={error} />
          {!data && !error && <Loading />}
          {data && data.items.length === 0 && (
            <Empty testId="people-empty">{q ? `Nobody matches "${q}".` : "Nobody is enrolled yet."}</Empty>
          )}
          {data && data.total === 0 && !q && (
            <p className="guide" data-testid="people-guide">
              Import a folder of photos (one folder per person) with <code>npx persona import DIR</code>
              {canEnroll ? (
                <>
                  , or{" "}
                  <button
                    type="button"
                    className="primary"
                    data-testid="guide-add-person"
                    onClick={() => document.querySelector<HTMLInputElement>("[data-testid=enroll-name]")?.focus()}
                  >
                    Add person
                  </button>{" "}
                  with the form.
                </>
              ) : (
                "; an operator can also add people here."
              )}
            </p>
          )}
          <ul className="plain people-grid" data-testid="people-list">
            {data?.items.map((p) => (
              <li key={p.personId}>
                <button
                  type="button"
                  className="person-card"
                  onClick={() => navigate(`/people/${encodeURIComponent(p.personId)}`)}
                  data-testid="person-card"
                  data-person-id={p.personId}
                >
                  {p.photoKeys[0] ? <img src={photoUrl(p.photoKeys[0])} alt="" /> : <span className="noimg">no photo</span>}
                  <span className="person-name">{p.name}</span>
                  <span className="muted small">{p.description}</span>
                  <span className="small">
                    {p.templates} template{p.templates === 1 ? "" : "s"}
                    {p.watchlist && <span className="tag danger">watchlist</span>}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {data && <Pager offset={offset} total={data.total} page={PAGE} onChange={setOffset} />}
        </div>
        {canEnroll && <EnrollForm onDone={reload} />}
      </div>
    </section>
  );
}
