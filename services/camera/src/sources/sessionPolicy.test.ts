import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nextStep, type SessionOutcome } from "./sessionPolicy.ts";

const outcome = (o: Partial<SessionOutcome>): SessionOutcome => ({
  exitCode: 1,
  spawnError: null,
  frames: 0,
  failure: { kind: "unknown", message: "boom" },
  ...o,
});
const file = { kind: "file" as const, loop: false };
const looped = { kind: "file" as const, loop: true };
const rtsp = { kind: "rtsp" as const, loop: false };

describe("nextStep", () => {
  test("ffmpeg missing: failed", () => {
    assert.deepEqual(nextStep(rtsp, outcome({ spawnError: "spawn ffmpeg ENOENT" }), 1, 0), {
      kind: "failed",
      message: "cannot run ffmpeg: spawn ffmpeg ENOENT",
    });
  });

  test("a file with no frame fails for good, with the reason", () => {
    const notVideo = nextStep(file, outcome({ failure: { kind: "not-video", message: "x: Invalid data" } }), 1, 0);
    assert.deepEqual(notVideo, { kind: "failed", message: "not a playable video: x: Invalid data" });
    assert.match(nextStep(looped, outcome({ failure: { kind: "not-found", message: "m" } }), 1, 0).message, /^file not found/);
  });

  test("a file played once ends; with an error after some frames it still ends, saying why", () => {
    assert.deepEqual(nextStep(file, outcome({ exitCode: 0, frames: 10 }), 1, 0), {
      kind: "ended",
      message: "end of file after 10 frames",
    });
    assert.match(nextStep(file, outcome({ exitCode: 1, frames: 10 }), 1, 0).message, /ffmpeg stopped after 10 frames: boom/);
  });

  test("a looped file at its end is played again at once; one that stops otherwise, and every live source, retry", () => {
    assert.equal(nextStep(looped, outcome({ exitCode: 0, frames: 120 }), 1, 0).kind, "replay");
    assert.equal(nextStep(looped, outcome({ frames: 5 }), 1, 0).kind, "retry");
    assert.match(
      nextStep(rtsp, outcome({ failure: { kind: "network", message: "refused" } }), 1, 0).message,
      /cannot open the stream: refused/,
    );
    assert.match(nextStep(rtsp, outcome({ exitCode: 0, frames: 9 }), 1, 0).message, /stream ended after 9 frames/);
    assert.match(nextStep(rtsp, outcome({ exitCode: 255, frames: 9 }), 1, 0).message, /stream broke after 9 frames/);
  });

  test("maxAttempts: failed once the retries are used up; 0 retries forever", () => {
    assert.equal(nextStep(rtsp, outcome({}), 3, 3).kind, "retry");
    assert.deepEqual(nextStep(rtsp, outcome({}), 4, 3), { kind: "failed", message: "gave up after 3 reconnect attempts: boom" });
    assert.equal(nextStep(rtsp, outcome({}), 1000, 0).kind, "retry");
  });
});
