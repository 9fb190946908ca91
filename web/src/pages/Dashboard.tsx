/**
 * The registration desk: who is in view per camera (pushed `presence`), and a stream of recognitions, newest first,
 * each with the enrolled photo beside the captured crop, the name large and the position below. Loaded once, then
 * only pushed sightings (`sighting`, `presence`, `camera`); after a reconnection the list is fetched once again.
 */
import { useEffect, useRef, useState } from "react";
import { get, photoUrl, qs } from "../api.ts";
import type {
  Camera,
  GetCamerasResponse,
  GetPeopleResponse,
  GetPresenceResponse,
  GetSightingsResponse,
  PresenceItem,
} from "../api.gen.ts";
import {
  type Recognition,
  applySighting,
  dashboardOrder,
  fromSighting,
  mergeRecognitions,
  presenceByCamera,
  scoreLabel,
} from "../feed.ts";
import { useLive, useLiveEvent } from "../live.tsx";
import { Link } from "../router.tsx";
import { useCan } from "../session.tsx";
import { Empty, ErrorBox, formatTime, usePerson } from "../ui.tsx";

const MAX_ITEMS = 50;

/** What to do first on an empty system: enroll people, start a camera (null once both are there). */
/** A camera first heard of from a pushed status: what the list shows until it is loaded again. */
function cameraFromPush(cam: Pick<Camera, "cameraId" | "status" | "role" | "lastChangeAt">): Camera {
  return {
    ...cam,
    name: cam.cameraId,
    origin: null,
    managed: false,
    enabled: true,
    kind: null,
    source: null,
    group: null,
    detectFps: null,
    zone: null,
    loop: null,
    hasLiveView: false,
    health: null,
  };
}

export function FirstRunGuide({ people, cameras }: { people: number | null; cameras: number }) {
  const canEnroll = useCan("operator");
  if ((people === null || people > 0) && cameras > 0) return null;
  return (
    <section className="guide" data-testid="first-run" aria-label="Getting started">
      {people === 0 && (
        <p data-testid="guide-no-people">
          <strong>Nobody is enrolled yet</strong>, so every face is unknown. Import a folder of photos (one folder per person)
          with <code>npx persona import DIR</code>
          {canEnroll ? (
            <>
              {" "}
              or{" "}
              <Link to="/people" className="button" data-testid="guide-add-person">
                Add person
              </Link>
            </>
          ) : (
            " (or ask an operator to add people)"
          )}
          .
        </p>
      )}
      {cameras === 0 && (
        <p data-testid="guide-no-cameras">
          <strong>No camera has reported yet.</strong> An admin adds one on the <Link to="/cameras">Cameras</Link> page, or start
          the system with your cameras, e.g.{" "}
          <code>{`CAMERAS='[{"id":"gate-1","source":"rtsp://…","role":"entrance"}]' npx persona run`}</code> (or{" "}
          <code>CAMERAS_FILE=cameras.json</code>); without any, <code>persona run</code> starts a demo camera.
        </p>
      )}
    </section>
  );
}

function RecognitionCard({ r, cameraName, headline }: { r: Recognition; cameraName: string; headline: boolean }) {
  const person = usePerson(r.personId);
  const photo = person?.photoKeys[0];
  const score = scoreLabel(r.score);
  return (
    <li
      className={`recognition${headline ? " headline" : ""}${r.decision === "probable" ? " probable" : ""}`}
      data-testid="recognition"
      data-person-id={r.personId}
      data-sighting-id={r.id}
      data-decision={r.decision}
      data-headline={headline ? "true" : undefined}
    >
      <div className="faces">
        <figure>
          {photo ? <img src={photoUrl(photo)} alt={`${r.name} as enrolled`} /> : <div className="noimg">no photo</div>}
          <figcaption>enrolled</figcaption>
        </figure>
        <figure>
          {r.cropSrc ? <img src={r.cropSrc} alt={`Captured face of ${r.name}`} /> : <div className="noimg">no crop</div>}
          <figcaption>captured</figcaption>
        </figure>
      </div>
      <div className="who">
        <Link to={`/people/${encodeURIComponent(r.personId)}`} className="name" data-testid="recognition-name">
          {person?.name ?? r.name}
        </Link>
        <div className="position">{person?.description || "\u00a0"}</div>
        <div className="meta">
          {cameraName} · {formatTime(r.at)} ·{" "}
          <span className="score" title={score.title} data-testid="recognition-score">
            {score.text}
          </span>
          {r.decision === "probable" ? (
            <span className="tag probable" data-testid="recognition-probable" title="passed only the looser threshold">
              probable
            </span>
          ) : (
            <span className="tag" data-testid="recognition-confirmed">
              {r.concluded ? "confirmed by the track" : "confirmed"}
            </span>
          )}
        </div>
      </div>
    </li>
  );
}

export function Dashboard() {
  const { generation, connected } = useLive();
  const [items, setItems] = useState<Recognition[]>([]);
  const [presence, setPresence] = useState<Record<string, PresenceItem[]>>({});
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const [people, setPeople] = useState<number | null>(null);
  const pushed = useRef<Recognition[]>([]);

  // fetched once on mount and once per reconnection; pushes arriving meanwhile are kept
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the trigger
  useEffect(() => {
    let live = true;
    pushed.current = [];
    Promise.all([
      // unknown sightings come in the same list: read enough to fill the desk with recognitions
      get<GetSightingsResponse>(`/api/v1/sightings${qs({ limit: 4 * MAX_ITEMS })}`),
      get<GetPresenceResponse>("/api/v1/presence"),
      get<GetCamerasResponse>("/api/v1/cameras"),
      get<GetPeopleResponse>(`/api/v1/people${qs({ limit: 1 })}`),
    ]).then(
      ([s, p, c, people]) => {
        if (!live) return;
        const fetched = s.items.map(fromSighting).filter((r): r is Recognition => r !== null);
        setItems(mergeRecognitions(MAX_ITEMS, pushed.current, fetched));
        setPresence(presenceByCamera(p.items));
        setCameras(c.items);
        setPeople(people.total);
        setError(null);
        setLoaded(true);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [generation]);

  useLiveEvent("sighting", (s) => {
    // a new recognition first; one pushed again with its track's conclusion is replaced (or leaves: a stranger)
    pushed.current = applySighting(MAX_ITEMS, pushed.current, s);
    setItems((list) => applySighting(MAX_ITEMS, list, s));
  });
  // the first-run guidance follows the library (how many people now)
  useLiveEvent("person", () => {
    get<GetPeopleResponse>(`/api/v1/people${qs({ limit: 1 })}`).then(
      (p) => setPeople(p.total),
      () => {},
    );
  });
  useLiveEvent("presence", (p) => setPresence((cur) => ({ ...cur, [p.cameraId]: p.items })));
  useLiveEvent("camera", (cam) =>
    setCameras((list) =>
      list.some((c) => c.cameraId === cam.cameraId)
        ? list.map((c) => (c.cameraId === cam.cameraId ? { ...c, ...cam } : c))
        : [...list, cameraFromPush(cam)],
    ),
  );

  const cameraIds = [...new Set([...cameras.map((c) => c.cameraId), ...Object.keys(presence)])].sort();

  return (
    <section className="dashboard">
      <h1>Dashboard</h1>
      <ErrorBox error={error} />
      {loaded && <FirstRunGuide people={people} cameras={cameras.length} />}
      <div className="dash-grid">
        <section aria-labelledby="presence-title" className="presence" data-testid="presence">
          <h2 id="presence-title">In view now</h2>
          {cameraIds.length === 0 && <Empty>No cameras have reported yet.</Empty>}
          <ul className="plain">
            {cameraIds.map((id) => {
              const cam = cameras.find((c) => c.cameraId === id);
              const here = presence[id] ?? [];
              return (
                <li key={id} className="camera-presence" data-testid="camera-presence" data-camera-id={id}>
                  <div className="camera-head">
                    <strong>{id}</strong>
                    {cam?.role && <span className="tag">{cam.role}</span>}
                    {cam?.status && <span className={`status status-${cam.status}`}>{cam.status}</span>}
                  </div>
                  {here.length === 0 ? (
                    <span className="muted">nobody</span>
                  ) : (
                    <ul className="chips">
                      {here.map((p) => (
                        <li key={p.trackId} className={p.personId ? "chip known" : "chip unknown"} data-testid="present">
                          {p.name ?? p.personId ?? "unknown"} <small>since {formatTime(p.since)}</small>
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
        <section aria-labelledby="recognitions-title" className="recognitions">
          <h2 id="recognitions-title">
            Recognitions <span className="muted small">{connected ? "live" : "waiting for the connection"}</span>
          </h2>
          {loaded && items.length === 0 && <Empty testId="recognitions-empty">Nobody recognised yet today.</Empty>}
          <ol className="plain recognition-list" data-testid="recognitions" aria-live="polite">
            {dashboardOrder(items).map((r, i) => (
              <RecognitionCard key={r.id} r={r} cameraName={r.cameraId} headline={i === 0 && r.decision === "confirmed"} />
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}
