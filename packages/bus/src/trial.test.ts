import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEnvelope } from "@persona/contracts";
import { createLogger } from "@persona/runtime";
import type { Handler, HandlerContext } from "./consumer.ts";
import { ok } from "./outcome.ts";
import { TRIAL_SKIP_REASON, skipTrialEvents } from "./trial.ts";

const ctx: HandlerContext = {
  stream: "DETECTIONS",
  streamSeq: 1,
  deliveryCount: 1,
  subject: "detections.x.track-ended",
  working: () => {},
  log: createLogger("test", "silent"),
};
const ended = (cameraId: string) =>
  makeEnvelope(
    "FaceTrackEnded",
    {
      cameraId,
      trackId: "t1",
      startedAt: "2024-05-01T09:00:00.000Z",
      endedAt: "2024-05-01T09:00:05.000Z",
      frames: 10,
      shots: 1,
      bestQuality: 0.8,
      reason: "left-view",
    },
    { source: "test" },
  );

test("skipTrialEvents: a trial camera's event is skipped unhandled, a site camera's handled", async () => {
  const seen: string[] = [];
  const handler: Handler<"FaceTrackEnded"> = async (env) => {
    seen.push(env.data.cameraId);
    return ok();
  };
  const handlers = skipTrialEvents({ FaceTrackEnded: handler });
  assert.deepEqual(await handlers.FaceTrackEnded(ended("_watch-ab12"), ctx), { kind: "skipped", reason: TRIAL_SKIP_REASON });
  assert.deepEqual(await handlers.FaceTrackEnded(ended("watch-ab12"), ctx), { kind: "ok" });
  assert.deepEqual(await handlers.FaceTrackEnded(ended("gate-1"), ctx), { kind: "ok" });
  assert.deepEqual(seen, ["watch-ab12", "gate-1"]);
});
