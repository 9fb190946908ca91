/** Camera views: the camera service's annotated MJPEG stream (liveUrl) with the camera's name, role and status. */
import { useState } from "react";
import { get } from "../api.ts";
import type { GetCamerasResponse } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { Empty, ErrorBox, Loading, formatTime, useLoad } from "../ui.tsx";

export function Live() {
  const { data, error } = useLoad(() => get<GetCamerasResponse>("/api/v1/cameras"), []);
  const [status, setStatus] = useState<Record<string, { status: string; at: string }>>({});
  const [paused, setPaused] = useState<Record<string, boolean>>({});
  /** Views whose stream failed (camera service down, source ended): a retry bumps the key and reconnects. */
  const [failed, setFailed] = useState<Record<string, number>>({});
  const [attempt, setAttempt] = useState<Record<string, number>>({});
  useLiveEvent("camera", (cam) => {
    const id = cam.cameraId;
    setStatus((s) => ({ ...s, [id]: { status: cam.status, at: cam.lastChangeAt ?? new Date().toISOString() } }));
    if (cam.status === "live" || cam.status === "starting") {
      // the camera is back: reconnect a view that had failed
      setFailed(({ [id]: _gone, ...rest }) => rest);
      setAttempt((a) => ({ ...a, [id]: (a[id] ?? 0) + 1 }));
    }
  });

  return (
    <section>
      <h1>Live</h1>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <Empty>No cameras are configured (CAMERAS on the camera service).</Empty>}
      <div className="live-grid">
        {data?.items.map((c) => {
          const st = status[c.cameraId]?.status ?? c.status;
          const off = paused[c.cameraId] ?? false;
          return (
            <figure key={c.cameraId} className="live-view" data-testid="live-view" data-camera-id={c.cameraId}>
              {c.liveUrl && !off && failed[c.cameraId] === undefined ? (
                <img
                  key={attempt[c.cameraId] ?? 0}
                  src={c.liveUrl}
                  alt={`Live view of ${c.cameraId}`}
                  onError={() => setFailed((f) => ({ ...f, [c.cameraId]: Date.now() }))}
                />
              ) : (
                <div className="noimg" data-testid="live-placeholder">
                  {!c.liveUrl ? "no live view for this camera" : off ? "paused" : "no signal from the camera's live view"}
                </div>
              )}
              <figcaption>
                <strong>{c.cameraId}</strong>
                {c.role && <span className="tag">{c.role}</span>}
                <span className={`status status-${st}`}>{st}</span>
                {(status[c.cameraId]?.at ?? c.lastChangeAt) && (
                  <small className="muted">since {formatTime(status[c.cameraId]?.at ?? c.lastChangeAt)}</small>
                )}
                {c.liveUrl && failed[c.cameraId] !== undefined && (
                  <button
                    type="button"
                    onClick={() => {
                      setFailed(({ [c.cameraId]: _gone, ...rest }) => rest);
                      setAttempt((a) => ({ ...a, [c.cameraId]: (a[c.cameraId] ?? 0) + 1 }));
                    }}
                  >
                    Retry
                  </button>
                )}
                {c.liveUrl && failed[c.cameraId] === undefined && (
                  <button type="button" onClick={() => setPaused((p) => ({ ...p, [c.cameraId]: !off }))}>
                    {off ? "Resume" : "Pause"}
                  </button>
                )}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
