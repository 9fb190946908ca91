import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, redactConfig } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL, embedderSpec } from "@persona/vision";
import { camerasOf, chipTemplate, configSchema, detectorThreads, maxMissedFor, pipelineSettings } from "./config.ts";

const load = (env: Record<string, string>) => loadConfig(configSchema, env);

function issuesOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  assert.fail("expected a ConfigError");
}

describe("camera config", () => {
  test("defaults: no cameras, live view on 8090, ArcFace 112 chips, documented tunables", () => {
    const c = load({});
    assert.deepEqual(camerasOf(c), []);
    assert.equal(c.LIVE_PORT, 8090);
    assert.equal(c.CHIP_TEMPLATE, "arcface112");
    assert.equal(c.BEST_SHOT_INTERVAL_MS, 1000);
    assert.equal(c.DETECTOR_THREADS, "auto");
    assert.equal(c.TRACK_MAX_MISSED, undefined);
    assert.equal(
      chipTemplate(c.CHIP_TEMPLATE),
      embedderSpec(DEFAULT_EMBEDDER_MODEL).template,
      "the default recognizer model's own chip",
    );
  });

  test("a camera list with kinds inferred and defaults applied", () => {
    const c = load({
      CAMERAS: JSON.stringify([
        { id: "gate-1", source: "rtsp://user:secret@10.0.0.5/stream", role: "entrance" },
        { id: "desk", source: "http://10.0.0.6/video.mjpg", role: "desk", name: "Front desk", detectFps: 8, maxWidth: 1280 },
        { id: "lab", source: "/dev/video0", role: "classroom" },
        { id: "demo", source: "videos/demo.mp4", role: "perimeter", loop: true, realtime: false },
      ]),
    });
    const cams = camerasOf(c);
    assert.deepEqual(
      cams.map((x) => [x.id, x.kind, x.name, x.detectFps, x.maxWidth, x.loop, x.realtime]),
      [
        ["gate-1", "rtsp", "gate-1", 5, null, false, true],
        ["desk", "http", "Front desk", 8, 1280, false, true],
        ["lab", "webcam", "lab", 5, null, false, true],
        ["demo", "file", "demo", 5, null, true, false],
      ],
    );
  });

  test("the logged config hides passwords in camera URLs", () => {
    const c = load({ CAMERAS: JSON.stringify([{ id: "g", source: "rtsp://admin:hunter2@cam/x", role: "entrance" }]) });
    const logged = JSON.stringify(redactConfig(c as unknown as Record<string, unknown>));
    assert.ok(!logged.includes("hunter2"), logged);
    assert.ok(logged.includes("rtsp://admin:***@cam/x"));
    // the running value keeps the credentials
    assert.equal(camerasOf(c)[0]?.source, "rtsp://admin:hunter2@cam/x");
  });

  test("clear errors: bad JSON, unknown keys, bad ids, duplicates, unknown schemes, kind mismatch", () => {
    assert.match(issuesOf({ CAMERAS: "[{" }).join("\n"), /CAMERAS: CAMERAS is not valid JSON/);
    const issues = issuesOf({
      CAMERAS: JSON.stringify([
        { id: "a b", source: "x.mp4", role: "entrance" },
        { id: "ok", source: "x.mp4", role: "lobby" },
        { id: "ok", source: "x.mp4", role: "desk", fps: 3 },
        { id: "u", source: "rtmp://host/live", role: "desk" },
        { id: "k", source: "http://host/x", role: "desk", kind: "rtsp" },
        { id: "l", source: "rtsp://host/x", role: "desk", loop: true },
      ]),
    }).join("\n");
    assert.match(issues, /CAMERAS\.0\.id: only letters/);
    assert.match(issues, /CAMERAS\.1\.role: Invalid option/);
    assert.match(issues, /CAMERAS\.2: Unrecognized key: "fps"/);
    assert.match(issues, /CAMERAS\.3\.source: cannot tell the kind of source "rtmp:\/\/host\/live"/);
    assert.match(issues, /CAMERAS\.4\.kind: source "http:\/\/host\/x" is not a rtsp source/);
    assert.match(issues, /CAMERAS\.5: "loop" and "realtime" apply to file sources only/);
  });

  test("duplicate ids are reported once every entry is valid", () => {
    const cams = [
      { id: "ok", source: "x.mp4", role: "desk" },
      { id: "ok", source: "y.mp4", role: "desk" },
    ];
    assert.match(
      issuesOf({ CAMERAS: JSON.stringify(cams) }).join("\n"),
      /CAMERAS\.1\.id: duplicate camera id "ok" \(also entry 0\)/,
    );
  });

  test("camera ids longer than 40 characters are refused (track ids must stay valid tokens)", () => {
    assert.match(
      issuesOf({ CAMERAS: JSON.stringify([{ id: "x".repeat(41), source: "a.mp4", role: "desk" }]) }).join("\n"),
      /CAMERAS\.0\.id/,
    );
  });

  test("CAMERAS_FILE is read and validated; not together with CAMERAS", () => {
    const dir = mkdtempSync(join(tmpdir(), "persona-camera-config-"));
    try {
      const file = join(dir, "cameras.json");
      writeFileSync(file, JSON.stringify([{ id: "f1", source: "a.mp4", role: "desk" }]));
      assert.equal(camerasOf(load({ CAMERAS_FILE: file }))[0]?.id, "f1");
      assert.match(issuesOf({ CAMERAS_FILE: join(dir, "missing.json") }).join("\n"), /CAMERAS_FILE: cannot read/);
      assert.match(
        issuesOf({ CAMERAS_FILE: file, CAMERAS: JSON.stringify([{ id: "c", source: "a.mp4", role: "desk" }]) }).join("\n"),
        /set CAMERAS or CAMERAS_FILE, not both/,
      );
      writeFileSync(file, JSON.stringify([{ id: "f1", source: "a.mp4" }]));
      assert.match(issuesOf({ CAMERAS_FILE: file }).join("\n"), /CAMERAS_FILE\.0\.role/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("tunables are validated", () => {
    const issues = issuesOf({ BEST_SHOT_MIN_QUALITY: "2", CHIP_TEMPLATE: "vgg", DETECTOR_THREADS: "many" }).join("\n");
    assert.match(issues, /BEST_SHOT_MIN_QUALITY/);
    assert.match(issues, /CHIP_TEMPLATE/);
    assert.match(issues, /DETECTOR_THREADS: must be "auto" or a number of threads/);
    assert.match(
      issuesOf({ SOURCE_RETRY_INITIAL_MS: "5000", SOURCE_RETRY_MAX_MS: "1000" }).join("\n"),
      /SOURCE_RETRY_MAX_MS: must be >= SOURCE_RETRY_INITIAL_MS/,
    );
    assert.equal(load({ DETECTOR_THREADS: "0" }).DETECTOR_THREADS, 0);
  });

  test("derived settings: missed frames ~1 s at the camera's rate, detector threads, chip template", () => {
    assert.equal(maxMissedFor({ detectFps: 5 }, undefined), 5);
    assert.equal(maxMissedFor({ detectFps: 1 }, undefined), 2);
    assert.equal(maxMissedFor({ detectFps: 10 }, 3), 3);
    assert.equal(detectorThreads("auto", 0, 8), 0);
    assert.equal(detectorThreads("auto", 1, 2), 1);
    assert.equal(detectorThreads("auto", 4, 2), 2);
    assert.equal(detectorThreads("auto", 4, 1), 2);
    assert.equal(detectorThreads("auto", 3, 8), 3);
    assert.equal(detectorThreads(0, 3, 8), 0);
    const c = load({ CHIP_TEMPLATE: "arcface112", TRACK_MAX_MISSED: "7" });
    const cam = camerasOf(load({ CAMERAS: JSON.stringify([{ id: "a", source: "a.mp4", role: "desk" }]) }))[0];
    assert.ok(cam);
    const s = pipelineSettings(c, cam);
    assert.equal(s.template.width, 112);
    assert.equal(s.tracker.maxMissed, 7);
    assert.equal(chipTemplate("faceres224").width, 224);
  });
});
