/**
 * Camera views through the portal (behind the session): the camera service's annotated MJPEG (boxes, track ids and
 * names drawn by the camera) from `/api/v1/cameras/<id>/live`. `/live` is a grid of every camera, `/live/<id>` one
 * camera large. The browser never talks to a camera's own port.
 */
import { useEffect, useRef, useState } from "react";
import type { GetCamerasResponse } from "../api.gen.ts";
import { get } from "../api.ts";
import { useLiveEvent } from "../live.tsx";
import { Link } from "../router.tsx";
import { Empty, ErrorBox, Loading, formatTime, useLoad } from "../ui.tsx";

type Camera = GetCamerasResponse["items"][number];

/**
 * Streams the grid shows as MJPEG: each holds one of the browser's ~6 HTTP/1.1 connections to the portal, so past
 * this many cameras the tiles show a snapshot a second instead (the API and the push need connections too).
 */
export const GRID_STREAMS = 4;
const SNAPSHOT_EVERY_MS = 1000;

export const liveSrc = (cameraId: string) => `/api/v1/cameras/${encodeURIComponent(cameraId)}/live`;
export const snapshotSrc = (cameraId: string, n: number) => `/api/v1/cameras/${encodeURIComponent(cameraId)}/snapshot?n=${n}`;

export function Live({ cameraId }: { cameraId?: string }) {
  const { data, error } = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []);
  const [status, setStatus] = useState<Record<string, { status: string; at: string }>>({});
  /** Bumped when a camera comes back: its view reconnects. */
  const [attempt, setAttempt] = useState<Record<string, number>>({});
  useLiveEvent("camera", (cam) => {
    const id = cam.cameraId;
    setStatus((s) => ({ ...s, [id]: { status: cam.status, at: cam.lastChangeAt ?? new Date().toISOString() } }));
    if (cam.status === "live" || cam.status === "starting") setAttempt((a) => ({ ...a, [id]: (a[id] ?? 0) + 1 }));
  });
  const items = data?.items ?? [];
  const stateOf = (c: Camera) => ({
    status: status[c.cameraId]?.status ?? c.status,
    at: status[c.cameraId]?.at ?? c.lastChangeAt,
  });

  if (cameraId !== undefined) {
    const cam = items.find((c) => c.cameraId === cameraId);
    return (
      <section>
        <p>
          <Link to="/live" data-testid="live-back">
            ← All cameras
          </Link>
        </p>
        <h1>Live: {cameraId}</h1>
        <ErrorBox error={error} />
        {!data && !error && <Loading />}
        {data && !cam && <Empty>There is no camera {cameraId}.</Empty>}
        {cam && (
          <div className="live-single">
            <CameraView cam={cam} state={stateOf(cam)} attempt={attempt[cam.cameraId] ?? 0} mode="stream" large />
          </div>
        )}
      </section>
    );
  }

  const mode = items.length > GRID_STREAMS ? "snapshots" : "stream";
  return (
    <section>
      <h1>Live</h1>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && items.length === 0 && <Empty>No cameras are configured (CAMERAS on the camera service).</Empty>}
      <div className="live-grid">
        {items.map((c) => (
          <CameraView key={c.cameraId} cam={c} state={stateOf(c)} attempt={attempt[c.cameraId] ?? 0} mode={mode} />
        ))}
      </div>
    </section>
  );
}

/** A 1x1 GIF: what an <img> shows once its stream is let go. */
const BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/**
 * An <img> of a live stream that lets the stream go when it leaves the page: Chromium keeps loading an MJPEG of an
 * <img> removed from the document (until it is garbage collected), so its src is replaced first, which aborts the
 * request and the portal closes the camera's connection at once.
 */
function LiveImage({ src, alt, onError }: { src: string; alt: string; onError: () => void }) {
  const ref = useRef<HTMLImageElement>(null);
  const stopped = useRef(false);
  // src is set here, not as a prop: React would not set it again after the blanking below (StrictMode remounts)
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    stopped.current = false;
    el.src = src;
  }, [src]);
  useEffect(() => {
    const el = ref.current;
    return () => {
      if (!el) return;
      stopped.current = true;
      el.src = BLANK;
    };
  }, []);
  return (
    <img
      ref={ref}
      alt={alt}
      data-testid="live-image"
      onError={() => {
        if (!stopped.current) onError();
      }}
    />
  );
}

function CameraView({
  cam,
  state,
  attempt,
  mode,
  large = false,
}: {
  cam: Camera;
  state: { status: string; at: string | null };
  attempt: number;
  mode: "stream" | "snapshots";
  large?: boolean;
}) {
  const id = cam.cameraId;
  const hasView = cam.hasLiveView;
  const [paused, setPaused] = useState(false);
  /** The view failed (camera service down, source ended): Retry or the camera coming back reconnects it. */
  const [failed, setFailed] = useState(false);
  const [retry, setRetry] = useState(0);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a camera coming back (attempt) clears the failure
  useEffect(() => setFailed(false), [attempt]);
  const showing = hasView && !paused && !failed;
  useEffect(() => {
    if (!showing || mode !== "snapshots") return;
    const t = setInterval(() => setTick((n) => n + 1), SNAPSHOT_EVERY_MS);
    return () => clearInterval(t);
  }, [showing, mode]);

  const image = showing ? (
    <LiveImage
      key={`${attempt}-${retry}`}
      src={mode === "stream" ? liveSrc(id) : snapshotSrc(id, tick)}
      alt={`Live view of ${id}`}
      onError={() => setFailed(true)}
    />
  ) : (
    <div className="noimg" data-testid="live-placeholder">
      {!hasView ? "no live view for this camera" : paused ? "paused" : "no signal from the camera's live view"}
    </div>
  );
  return (
    <figure className={`live-view${large ? " large" : ""}`} data-testid={large ? "live-single" : "live-view"} data-camera-id={id}>
      {large ? (
        image
      ) : (
        <Link to={`/live/${encodeURIComponent(id)}`} aria-label={`Open ${id}`} data-testid="live-open">
          {image}
        </Link>
      )}
      <figcaption>
        <strong>{id}</strong>
        {cam.role && <span className="tag">{cam.role}</span>}
        <span className={`status status-${state.status}`}>{state.status}</span>
        {state.at && <small className="muted">since {formatTime(state.at)}</small>}
        {hasView && failed && (
          <button
            type="button"
            onClick={() => {
              setFailed(false);
              setRetry((r) => r + 1);
            }}
          >
            Retry
          </button>
        )}
        {hasView && !failed && (
          <button type="button" onClick={() => setPaused((p) => !p)}>
            {paused ? "Resume" : "Pause"}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
