import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoredTrack } from "./trackStore.ts";
import { sweepOnce, sweepVerdict } from "./trackSweeper.ts";
import { type TrackVoteState, newTrackState, noteShotFrame, orphanEnd } from "@persona/recognition";

const T = (s: string) => new Date(`2026-12-07T10:${s}Z`);
const o = { deadlineMs: 30_000 };

function track(change: (s: TrackVoteState) => void, writtenAt: Date): StoredTrack {
  const s = newTrackState("cam", "t1");
  change(s);
  return { state: s, writtenAt };
}
const shot = (at: string) => (s: TrackVoteState) => {
  s.processed++;
  noteShotFrame(s, T(at).toISOString(), 0.5);
};
const ended = (shots: number) => ({
  startedAt: T("00:00").toISOString(),
  endedAt: T("00:10").toISOString(),
  frames: 9,
  shots,
  bestQuality: 0.5,
});

test("a track left alone past the deadline after its camera changed status is orphaned; before the deadline it is not", () => {
  const t = track(shot("00:10"), T("00:11"));
  assert.equal(
    sweepVerdict(t, T("00:20"), T("00:40").getTime(), o),
    null,
    "10 s after its last write: FaceTrackEnded may still come",
  );
  assert.equal(sweepVerdict(t, T("00:20"), T("00:42").getTime(), o), "orphaned");
});

test("a quiet track of a camera that did not change status since its last shot is left open (a person sitting still)", () => {
  const t = track(shot("00:10"), T("00:11"));
  assert.equal(sweepVerdict(t, T("00:05"), T("59:00").getTime(), o), null);
  assert.equal(sweepVerdict(t, null, T("59:00").getTime(), o), null, "a camera that never reported");
});

test("shots processed late (a backlog after the restart) count by their capture time, not by when they were written", () => {
  // the camera restarted at :20; the backlog reached the track at :50: still a track of the camera's earlier run
  const t = track(shot("00:10"), T("00:50"));
  assert.equal(sweepVerdict(t, T("00:20"), T("01:10").getTime(), o), null, "written 20 s ago");
  assert.equal(sweepVerdict(t, T("00:20"), T("01:21").getTime(), o), "orphaned");
});

test("an ended track with shots missing concludes after the deadline; a complete one is ready at once; a concluded one is left", () => {
  const missing = track((s) => {
    shot("00:05")(s);
    s.ended = ended(2);
  }, T("00:11"));
  assert.equal(sweepVerdict(missing, null, T("00:30").getTime(), o), null);
  assert.equal(sweepVerdict(missing, null, T("00:41").getTime(), o), "missing-shots");
  const complete = track((s) => {
    shot("00:05")(s);
    s.ended = ended(1);
  }, T("00:11"));
  assert.equal(sweepVerdict(complete, null, T("00:12").getTime(), o), "ready");
  const done = track((s) => {
    s.ended = ended(0);
    s.concluded = true;
  }, T("00:11"));
  assert.equal(sweepVerdict(done, T("00:30"), T("59:00").getTime(), o), null);
});

test("an orphaned track's end spans the shots that arrived and counts only them", () => {
  const s = newTrackState("cam", "t1");
  for (const [at, q] of [
    ["00:07", 0.4],
    ["00:03", 0.9],
    ["00:05", 0.2],
  ] as const) {
    s.processed++;
    noteShotFrame(s, T(at).toISOString(), q);
  }
  assert.deepEqual(orphanEnd(s, "x"), {
    startedAt: T("00:03").toISOString(),
    endedAt: T("00:07").toISOString(),
    frames: 0,
    shots: 3,
    bestQuality: 0.9,
  });
});

test("a sweep asks for each camera's status once and concludes what the rules say", async () => {
  const tracks = [
    track(shot("00:10"), T("00:11")),
    { ...track(shot("00:12"), T("00:12")), state: { ...track(shot("00:12"), T("00:12")).state, trackId: "t2" } },
    track((s) => {
      s.cameraId = "other";
      shot("00:10")(s);
    }, T("00:11")),
  ];
  const asked: string[] = [];
  const concluded: string[] = [];
  const counts = await sweepOnce({
    open: async function* () {
      yield* tracks;
    },
    cameraStatusAt: async (cam) => {
      asked.push(cam);
      return cam === "cam" ? T("00:30") : null;
    },
    conclude: async (t, why) => {
      concluded.push(`${t.state.cameraId}/${t.state.trackId}:${why}`);
      return true;
    },
    options: o,
    now: () => T("05:00").getTime(),
  });
  assert.deepEqual(asked, ["cam", "other"]);
  assert.deepEqual(concluded, ["cam/t1:orphaned", "cam/t2:orphaned"]);
  assert.deepEqual(counts, { "missing-shots": 0, orphaned: 2, ready: 0 });
});
