/**
 * The registration desk: who is in view per camera (pushed `presence`), and a stream of recognitions, newest first,
 * each with the enrolled photo beside the captured crop, the name large and the position below. Loaded once, then
 * only pushed sightings (`sighting`, `presence`, `camera`); after a reconnection the list is fetched once again.
 */
import { useEffect, useRef, useState } from "react";
import { get, photoUrl, qs } from "../api.ts";
import type { Camera, GetCamerasResponse, GetPresenceResponse, GetSightingsResponse, PresenceItem } from "../api.gen.ts";
import { type Recognition, fromSighting, mergeRecognitions, presenceByCamera } from "../feed.ts";
import { useLive, useLiveEvent } from "../live.tsx";
import { Link } from "../router.tsx";
import { Empty, ErrorBox, formatTime, usePerson } from "../ui.tsx";

const MAX_ITEMS = 50;

function RecognitionCard({ r, cameraName }: { r: Recognition; cameraName: string }) {
  const person = usePerson(r.personId);
  const photo = person?.photoKeys[0];
  return (
    <li className="recognition" data-testid="recognition" data-person-id={r.personId} data-sighting-id={r.id}>
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
          {cameraName} · {formatTime(r.at)} · score {r.score.toFixed(2)}
          {r.decision === "probable" && <span className="tag">probable</span>}
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
    ]).then(
      ([s, p, c]) => {
        if (!live) return;
        const fetched = s.items.map(fromSighting).filter((r): r is Recognition => r !== null);
        setItems(mergeRecognitions(MAX_ITEMS, pushed.current, fetched));
        setPresence(presenceByCamera(p.items));
        setCameras(c.items);
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
    const r = fromSighting(s);
    if (!r) return; // an unknown face: the Unknowns page's
    pushed.current = [r, ...pushed.current].slice(0, MAX_ITEMS);
    setItems((list) => mergeRecognitions(MAX_ITEMS, [r], list));
  });
  useLiveEvent("presence", (p) => setPresence((cur) => ({ ...cur, [p.cameraId]: p.items })));
  useLiveEvent("camera", (cam) =>
    setCameras((list) =>
      list.some((c) => c.cameraId === cam.cameraId)
        ? list.map((c) => (c.cameraId === cam.cameraId ? { ...c, ...cam } : c))
        : [...list, { ...cam, liveUrl: null }],
    ),
  );

  const cameraIds = [...new Set([...cameras.map((c) => c.cameraId), ...Object.keys(presence)])].sort();

  return (
    <section className="dashboard">
      <h1>Dashboard</h1>
      <ErrorBox error={error} />
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
            {items.map((r) => (
              <RecognitionCard key={r.id} r={r} cameraName={r.cameraId} />
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}
