/** What every frame source gives the camera pipeline: RGB frames and status changes, in order. */

/** One decoded frame: 8-bit RGB, row-major, no padding (`data.length === width * height * 3`). */
export interface Frame {
  /** The pixels. Owned by the consumer once yielded: the source never writes into a yielded frame again. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Index of the frame among the frames the source produced at the detection rate (those dropped because the
   * pipeline was busy included), monotonic for the source's lifetime (across reconnects and loops). */
  readonly frameNo: number;
  /** Wall clock (ms since the epoch) when the frame was read from ffmpeg. */
  readonly capturedAt: number;
  /** The first frame of a looped file played again: whoever was in view at its end is not followed on. */
  readonly replay?: boolean;
}

/** The states a source reports; the service publishes each change as `CameraStatusChanged`. */
export type SourceState = "starting" | "live" | "reconnecting" | "failed" | "ended" | "stopped";

/** Terminal states: the event stream ends after one of them. */
export const TERMINAL_STATES: ReadonlySet<SourceState> = new Set(["failed", "ended", "stopped"]);

export interface SourceStatus {
  readonly state: SourceState;
  /** Human-readable detail (why it failed, when the next attempt is, the frame size...). */
  readonly message: string;
  /** Connection attempt: 0 for the first, then 1, 2, ... while reconnecting (reset after a healthy stretch). */
  readonly attempt: number;
  /** Wall clock (ms) of the change. */
  readonly at: number;
}

export type SourceEvent =
  | { readonly type: "frame"; readonly frame: Frame }
  | { readonly type: "status"; readonly status: SourceStatus };

/** Counters a source keeps (read at any time; for metrics and the live view's camera list). */
export interface SourceCounters {
  /** Frames read from ffmpeg's pipe (already limited to the detection rate by ffmpeg). */
  readonly decoded: number;
  /** Frames dropped because the consumer was still busy with an earlier one (live sources only). */
  readonly droppedBehind: number;
  /** Frames handed to the consumer. */
  readonly delivered: number;
}

/**
 * A source of frames: a video file, an RTSP or HTTP/MJPEG stream, a webcam. `events()` yields frames and status
 * changes in the order they happened and ends after a terminal status (`failed`, `ended`, `stopped`). It may be
 * iterated once.
 */
export interface FrameSource {
  readonly cameraId: string;
  /** The current state (the last status reported). */
  readonly state: SourceState;
  readonly counters: SourceCounters;
  events(): AsyncIterable<SourceEvent>;
  /** Stops the source (kills its process); `events()` then yields `stopped` and ends. Idempotent. */
  stop(): Promise<void>;
}
