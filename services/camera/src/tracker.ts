/**
 * Face tracker: associates each frame's detections with the tracks of earlier frames, so one person walking through
 * the view is one track (one id, one vote at the recognizer) rather than one per frame. Pure: no clock, no I/O; the
 * caller gives frame times and an id generator.
 *
 * Association (per detection frame): every (track, detection) pair gets a cost from the overlap of the boxes (IoU) and
 * the distance between their keypoints (eyes, nose, mouth) in face sizes, each measured against both the track's last
 * position and its position predicted with a damped constant velocity (so a face that stops is found where it stopped,
 * and one that moves fast at 5 detections per second is found where it went). Pairs pass a gate (enough overlap OR
 * close keypoints, and similar size), then are assigned greedily, cheapest first: with the handful of faces a camera
 * sees, greedy on a gated cost matrix gives the same answer as the Hungarian method. Unmatched detections start new
 * tracks; a track missing for more than `maxMissed` detection frames ends ("left-view").
 */
import { type Box, type FaceKeypoints, type Point, iou as visionIou } from "@persona/vision";

export interface TrackerOptions {
  /** Minimum IoU between a track's box (last or predicted) and a detection to match them. Default 0.2. */
  iouThreshold?: number;
  /** A detection whose keypoints are within this many face sizes (mean over eyes, nose, mouth) of a track's also
   * matches it, whatever the overlap (fast motion at a low detection rate). Default 1.5. */
  maxKeypointDistance?: number;
  /** Weight of the keypoint distance in the cost (cost = 1 - IoU + weight * distance). Default 1. */
  keypointWeight?: number;
  /** Largest ratio between the box sizes of a matching pair. Default 1.8. */
  maxSizeRatio?: number;
  /** Detection frames a track may go unseen before it ends. Default 5 (1 s at 5 detections per second). */
  maxMissed?: number;
  /** Hits before a track is confirmed (the pipeline publishes only confirmed tracks: one-frame false positives are
   * not). Default 2. */
  minHits?: number;
  /** Weight of the newest motion in the velocity estimate (exponential smoothing). Default 0.5. */
  velocitySmoothing?: number;
}

export const TRACKER_DEFAULTS: Required<TrackerOptions> = {
  iouThreshold: 0.2,
  maxKeypointDistance: 1.5,
  keypointWeight: 1,
  maxSizeRatio: 1.8,
  maxMissed: 5,
  minHits: 2,
  velocitySmoothing: 0.5,
};

/** What the tracker needs of a detection. */
export interface TrackInput {
  readonly box: Box;
  readonly keypoints: FaceKeypoints;
}

export interface Track {
  readonly id: string;
  /** Time (ms) and frame number of the first detection. */
  readonly startedAt: number;
  readonly firstFrameNo: number;
  /** Time (ms) and frame number of the last detection. */
  lastSeenAt: number;
  lastFrameNo: number;
  /** Detection frames in which the track was seen. */
  hits: number;
  /** Consecutive detection frames without it (0 = seen in the last one). */
  missed: number;
  /** Reached `minHits`. */
  confirmed: boolean;
  box: Box;
  keypoints: FaceKeypoints;
  /** Centre motion per detection frame (px), smoothed. */
  velocity: Point;
}

export interface TrackerUpdate {
  /** The track of each detection, by detection index. */
  readonly assigned: readonly Track[];
  /** Tracks started by this frame (also in `assigned`). */
  readonly started: readonly Track[];
  /** Tracks confirmed by this frame (also in `assigned`). */
  readonly confirmed: readonly Track[];
  /** Tracks that ended with this frame (missing for more than `maxMissed` frames). */
  readonly ended: readonly Track[];
}

/** The keypoints used for association (ears are unreliable on BlazeFace). */
const ASSOC_POINTS = ["rightEye", "leftEye", "noseTip", "mouth"] as const;

/** Box overlap (intersection over union): the detector's own, so tracking and NMS agree. */
export const boxIou = visionIou;

/** Mean distance between the association keypoints, offset by (dx, dy), in units of `size`. */
function keypointDistance(a: FaceKeypoints, dx: number, dy: number, b: FaceKeypoints, size: number): number {
  let sum = 0;
  for (const k of ASSOC_POINTS) sum += Math.hypot(a[k].x + dx - b[k].x, a[k].y + dy - b[k].y);
  return sum / ASSOC_POINTS.length / Math.max(1, size);
}

const shift = (b: Box, dx: number, dy: number): Box => ({ x: b.x + dx, y: b.y + dy, width: b.width, height: b.height });
const sizeOf = (b: Box) => Math.max(b.width, b.height);

export class FaceTracker {
  readonly options: Required<TrackerOptions>;
  #tracks: Track[] = [];

  constructor(
    options: TrackerOptions,
    private readonly newId: () => string,
  ) {
    this.options = { ...TRACKER_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.iouThreshold >= 0 && o.iouThreshold <= 1)) throw new RangeError(`iouThreshold must be in [0, 1]`);
    if (!(o.maxMissed >= 0 && Number.isInteger(o.maxMissed))) throw new RangeError(`maxMissed must be an integer >= 0`);
    if (!(o.minHits >= 1 && Number.isInteger(o.minHits))) throw new RangeError(`minHits must be an integer >= 1`);
    if (!(o.maxSizeRatio >= 1)) throw new RangeError(`maxSizeRatio must be >= 1`);
  }

  /** The live tracks (seen or briefly missed). */
  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** Cost of matching `t` with `d`, or null when the pair fails the gate. */
  cost(t: Track, d: TrackInput): number | null {
    const o = this.options;
    const tSize = sizeOf(t.box);
    const dSize = sizeOf(d.box);
    if (Math.max(tSize, dSize) > o.maxSizeRatio * Math.max(1, Math.min(tSize, dSize))) return null;
    const steps = t.missed + 1;
    const px = t.velocity.x * steps;
    const py = t.velocity.y * steps;
    const iou = Math.max(boxIou(t.box, d.box), boxIou(shift(t.box, px, py), d.box));
    const size = (tSize + dSize) / 2;
    const kp = Math.min(
      keypointDistance(t.keypoints, 0, 0, d.keypoints, size),
      keypointDistance(t.keypoints, px, py, d.keypoints, size),
    );
    // a face unseen for a few frames may have gone further: the radius grows with the frames since it was seen
    if (iou < o.iouThreshold && kp > o.maxKeypointDistance * Math.sqrt(steps)) return null;
    return 1 - iou + o.keypointWeight * kp;
  }

  /** Feeds one detection frame (all its detections, in any order). */
  update(detections: readonly TrackInput[], at: number, frameNo: number): TrackerUpdate {
    const o = this.options;
    const pairs: { t: number; d: number; cost: number }[] = [];
    this.#tracks.forEach((t, ti) => {
      detections.forEach((d, di) => {
        const cost = this.cost(t, d);
        if (cost !== null) pairs.push({ t: ti, d: di, cost });
      });
    });
    pairs.sort((a, b) => a.cost - b.cost || a.t - b.t || a.d - b.d);
    const trackOf = new Array<number>(detections.length).fill(-1);
    const taken = new Set<number>();
    for (const p of pairs) {
      if (trackOf[p.d] !== -1 || taken.has(p.t)) continue;
      trackOf[p.d] = p.t;
      taken.add(p.t);
    }

    const assigned: Track[] = [];
    const started: Track[] = [];
    const confirmed: Track[] = [];
    detections.forEach((d, di) => {
      const ti = trackOf[di] as number;
      if (ti >= 0) {
        const t = this.#tracks[ti] as Track;
        const steps = t.missed + 1;
        const cx = d.box.x + d.box.width / 2 - (t.box.x + t.box.width / 2);
        const cy = d.box.y + d.box.height / 2 - (t.box.y + t.box.height / 2);
        const a = o.velocitySmoothing;
        t.velocity = { x: (1 - a) * t.velocity.x + (a * cx) / steps, y: (1 - a) * t.velocity.y + (a * cy) / steps };
        t.box = d.box;
        t.keypoints = d.keypoints;
        t.lastSeenAt = at;
        t.lastFrameNo = frameNo;
        t.hits++;
        t.missed = 0;
        if (!t.confirmed && t.hits >= o.minHits) {
          t.confirmed = true;
          confirmed.push(t);
        }
        assigned.push(t);
      } else {
        const t: Track = {
          id: this.newId(),
          startedAt: at,
          firstFrameNo: frameNo,
          lastSeenAt: at,
          lastFrameNo: frameNo,
          hits: 1,
          missed: 0,
          confirmed: o.minHits <= 1,
          box: d.box,
          keypoints: d.keypoints,
          velocity: { x: 0, y: 0 },
        };
        started.push(t);
        if (t.confirmed) confirmed.push(t);
        assigned.push(t);
      }
    });

    const ended: Track[] = [];
    const alive: Track[] = [];
    this.#tracks.forEach((t, ti) => {
      if (taken.has(ti)) {
        alive.push(t);
        return;
      }
      t.missed++;
      // a track that is not seen slows down in the prediction (people stop more often than they vanish)
      t.velocity = { x: t.velocity.x * 0.5, y: t.velocity.y * 0.5 };
      if (t.missed > o.maxMissed) ended.push(t);
      else alive.push(t);
    });
    this.#tracks = [...alive, ...started];
    return { assigned, started, confirmed, ended };
  }

  /** Ends every track (the source ended or broke, the camera stops). */
  endAll(): Track[] {
    const all = this.#tracks;
    this.#tracks = [];
    return all;
  }
}
