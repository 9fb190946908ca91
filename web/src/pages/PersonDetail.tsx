/** One person: photos, templates, recent sightings; edit, add photos, greeting sound, watchlist (admin), remove (admin). */
import { type FormEvent, useEffect, useState } from "react";
import type { EnrollResult, GetPeoplePersonIdResponse, Person } from "../api.gen.ts";
import { cropUrl, del, errorText, get, patch, photoUrl, soundUrl, upload } from "../api.ts";
import { scoreLabel, verdictOf } from "../feed.ts";
import { useLiveEvent } from "../live.tsx";
import { Link, navigate } from "../router.tsx";
import { useCan } from "../session.tsx";
import { type NameAndDescription, NameFields, trimmed } from "../personFields.tsx";
import { ErrorBox, FormError, Loading, ListTable, formatDateTime, useAction, useLoad, useUpload } from "../ui.tsx";
import { EnrollAnyway, hasDuplicates, PhotoResults, Progress } from "./People.tsx";

function EditForm({ person, onSaved }: { person: Person; onSaved: () => void }) {
  const { name, description } = person;
  const [who, setWho] = useState<NameAndDescription>({ name, description });
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => setWho({ name, description }), [name, description]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      await patch(`/api/v1/people/${encodeURIComponent(person.personId)}`, trimmed(who));
      setMsg({ ok: true, text: "Saved." });
      onSaved();
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} data-testid="person-edit" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <NameFields value={who} onChange={setWho} testId="edit" />
      <button type="submit" className="primary" disabled={busy} data-testid="edit-save">
        Save
      </button>
      {msg && (
        <p className={msg.ok ? "ok" : "error"} role={msg.ok ? "status" : "alert"}>
          {msg.text}
        </p>
      )}
    </form>
  );
}

function Watchlist({ person, onSaved }: { person: Person; onSaved: () => void }) {
  const [reason, setReason] = useState(person.watchlist?.reason ?? "");
  const { busy, error, run } = useAction(onSaved);
  const save = (watchlist: { reason: string } | null) =>
    run(() => patch(`/api/v1/people/${encodeURIComponent(person.personId)}`, { watchlist }));
  return (
    <section className="card" aria-labelledby="watch-title" data-testid="watchlist">
      <h2 id="watch-title">Watchlist</h2>
      {person.watchlist ? (
        <>
          <p>
            On the watchlist: <strong>{person.watchlist.reason}</strong>
          </p>
          <button type="button" disabled={busy} onClick={() => void save(null)} data-testid="watchlist-remove">
            Take off the watchlist
          </button>
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save({ reason: reason.trim() });
          }}
        >
          <label>
            Reason
            <input required value={reason} onChange={(e) => setReason(e.target.value)} data-testid="watchlist-reason" />
          </label>
          <button type="submit" className="danger" disabled={busy || !reason.trim()} data-testid="watchlist-add">
            Put on the watchlist
          </button>
        </form>
      )}
      <FormError error={error} />
    </section>
  );
}

function AddPhotos({ personId, onDone }: { personId: string; onDone: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [result, setResult] = useState<EnrollResult | null>(null);
  const { progress, error, send } = useUpload();
  const submit = (e: FormEvent | null, allowDuplicate = false) => {
    e?.preventDefault();
    const form = new FormData();
    for (const f of files) form.append("photo", f, f.name);
    setResult(null);
    void send(async (onProgress) => {
      const r = await upload<EnrollResult>(
        "POST",
        `/api/v1/people/${encodeURIComponent(personId)}/photos${allowDuplicate ? "?allowDuplicate=true" : ""}`,
        form,
        onProgress,
      );
      setResult(r.body);
      onDone();
    });
  };
  return (
    <form className="card" onSubmit={submit} data-testid="add-photos" aria-labelledby="add-photos-title">
      <h2 id="add-photos-title">Add photos</h2>
      <label>
        Photos (1 to 10)
        <input type="file" accept="image/*" multiple required onChange={(e) => setFiles([...(e.target.files ?? [])])} />
      </label>
      <button type="submit" className="primary" disabled={progress !== null || files.length === 0}>
        Upload
      </button>
      <Progress value={progress} label="Upload progress" />
      <FormError error={error} />
      {result && <PhotoResults result={result} />}
      {hasDuplicates(result) && <EnrollAnyway onConfirm={() => void submit(null, true)} busy={progress !== null} />}
    </form>
  );
}

function SoundForm({ person, onDone }: { person: Person; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const { progress, error, send } = useUpload();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.set("sound", file, file.name);
    void send(async (onProgress) => {
      await upload("PUT", `/api/v1/people/${encodeURIComponent(person.personId)}/sound`, form, onProgress);
      onDone();
    });
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="sound-title">
      <h2 id="sound-title">Greeting sound</h2>
      {person.soundKey ? (
        // biome-ignore lint/a11y/useMediaCaption: a short greeting sound
        <audio controls src={soundUrl(person.soundKey)} />
      ) : (
        <p className="muted">No personal sound: the default greeting plays.</p>
      )}
      <label>
        Replace with (mp3)
        <input type="file" accept="audio/mpeg,.mp3" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <button type="submit" disabled={!file || progress !== null}>
        Upload sound
      </button>
      <Progress value={progress} label="Upload progress" />
      <FormError error={error} />
    </form>
  );
}

export function PersonDetail({ personId }: { personId: string }) {
  const canEdit = useCan("operator");
  const isAdmin = useCan("admin");
  const { data, error, reload } = useLoad(
    () => get<GetPeoplePersonIdResponse>(`/api/v1/people/${encodeURIComponent(personId)}`),
    [personId],
  );
  const removal = useAction(() => navigate("/people"));
  useLiveEvent("person", (p) => p.personId === personId && reload());

  const remove = () => {
    if (!data || !window.confirm(`Remove ${data.person.name} and all their templates? This cannot be undone.`)) return;
    void removal.run(() => del(`/api/v1/people/${encodeURIComponent(personId)}`));
  };

  if (error) {
    return (
      <section>
        <p>
          <Link to="/people">← People</Link>
        </p>
        <ErrorBox error={error} />
      </section>
    );
  }
  if (!data) return <Loading />;
  const { person, templates, recentSightings } = data;
  return (
    <section data-testid="person-detail" data-person-id={person.personId}>
      <p>
        <Link to="/people">← People</Link>
      </p>
      <h1 data-testid="person-name">
        {person.name} {person.watchlist && <span className="tag danger">watchlist</span>}
      </h1>
      <p className="position">{person.description}</p>
      <div className="detail-layout">
        <div>
          <section aria-labelledby="photos-title">
            <h2 id="photos-title">Photos</h2>
            {person.photoKeys.length === 0 ? (
              <p className="empty">No photos.</p>
            ) : (
              <div className="thumbs" data-testid="person-photos">
                {person.photoKeys.map((k) => (
                  <img key={k} src={photoUrl(k)} alt={person.name} />
                ))}
              </div>
            )}
          </section>
          <TemplatesTable templates={templates} />
          <SightingsTable sightings={recentSightings} />
        </div>
        <div className="side">
          {canEdit && <EditForm person={person} onSaved={reload} />}
          {canEdit && <AddPhotos personId={person.personId} onDone={reload} />}
          {canEdit && <SoundForm person={person} onDone={reload} />}
          {isAdmin && <Watchlist person={person} onSaved={reload} />}
          {isAdmin && (
            <section className="card" aria-labelledby="remove-title">
              <h2 id="remove-title">Remove</h2>
              <button type="button" className="danger" onClick={remove} data-testid="person-remove">
                Remove {person.name}
              </button>
              <FormError error={removal.error} />
            </section>
          )}
          {!canEdit && <p className="muted">Your role can view people but not change them.</p>}
        </div>
      </div>
    </section>
  );
}

type PersonView = GetPeoplePersonIdResponse;

/** The person's templates: the face each came from, its origin, quality and when it was added. */
function TemplatesTable({ templates }: { templates: PersonView["templates"] }) {
  return (
    <section aria-labelledby="templates-title">
      <h2 id="templates-title">Templates ({templates.length})</h2>
      <ListTable
        columns={["Face", "Origin", "Quality", "Added"]}
        rows={templates}
        empty={<p className="empty">No templates: this person cannot be recognised until a photo is added.</p>}
        testId="templates"
        row={(t) => (
          <tr key={t.id}>
            <td>{t.photoKey ? <img className="mini" src={photoUrl(t.photoKey)} alt="" /> : "-"}</td>
            <td>{t.origin}</td>
            <td>{t.quality.toFixed(2)}</td>
            <td>{formatDateTime(t.addedAt)}</td>
          </tr>
        )}
      />
    </section>
  );
}

/** Where and when the person was last seen, with the crop, the recognizer's decision and the similarity. */
function SightingsTable({ sightings: recentSightings }: { sightings: PersonView["recentSightings"] }) {
  return (
    <section aria-labelledby="sightings-title">
      <h2 id="sightings-title">Recent sightings</h2>
      <ListTable
        columns={["Face", "Camera", "When", "Decision", { label: "Similarity", title: scoreLabel(0).title }]}
        rows={recentSightings}
        empty={<p className="empty">Not seen yet.</p>}
        testId="recent-sightings"
        row={(s) => {
          const verdict = verdictOf(s);
          return (
            <tr key={s.id} data-testid="recent-sighting" data-decision={verdict}>
              <td>{s.cropKey ? <img className="mini" src={cropUrl(s.cropKey)} alt="" /> : "-"}</td>
              <td>{s.cameraId}</td>
              <td>{formatDateTime(s.at)}</td>
              <td>
                {verdict === "unknown" ? (
                  <span className="tag probable" title="the track was concluded as someone else or a stranger">
                    not confirmed by the track
                  </span>
                ) : (
                  <span className={verdict === "probable" ? "tag probable" : "tag"}>{verdict}</span>
                )}
              </td>
              <td>{s.score.toFixed(2)}</td>
            </tr>
          );
        }}
      />
    </section>
  );
}
