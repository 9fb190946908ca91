import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ManagedCamera } from "@persona/contracts";
import { loadConfig } from "@persona/runtime";
import { inZone } from "./cameraRunner.ts";
import { camerasOf, configSchema } from "./config.ts";
import { parseManagedEntry, resolveCameras } from "./managed.ts";
import { squareFace } from "./testing/faces.ts";

const boot = camerasOf(
  loadConfig(configSchema, {
    CAMERAS: JSON.stringify([
      { id: "gate", source: "rtsp://admin:pw@10.0.0.5/s", role: "entrance" },
      { id: "desk", source: "/videos/desk.mp4", role: "desk", loop: true },
    ]),
  }),
);
const opts = { group: "default", filesDir: "/srv/videos" };
const entry = (e: Partial<ManagedCamera> & { id: string }): ManagedCamera => e as ManagedCamera;

describe("managed cameras", () => {
  test("bootstrap cameras alone run as given, in the service's group", () => {
    const { cameras, problems } = resolveCameras(boot, [], opts);
    assert.deepEqual(
      cameras.map((c) => [c.id, c.origin, c.enabled, c.group]),
      [
        ["gate", "bootstrap", true, "default"],
        ["desk", "bootstrap", true, "default"],
      ],
    );
    assert.deepEqual(problems, []);
  });

  test("a managed camera of the group runs; one of another group or with the group off does not", () => {
    const e = [
      entry({ id: "hall", source: "rtsp://cam/hall", role: "perimeter", detectFps: 3 }),
      entry({ id: "lab", source: "rtsp://cam/lab", role: "classroom", group: "site-b" }),
    ];
    const ids = (group: string) => resolveCameras(boot, e, { ...opts, group }).cameras.map((c) => c.id);
    assert.deepEqual(ids("default"), ["gate", "desk", "hall"]);
    assert.deepEqual(ids("site-b"), ["gate", "desk", "lab"]);
    assert.deepEqual(ids("off"), ["gate", "desk"]);
    const hall = resolveCameras(boot, e, opts).cameras[2];
    assert.equal(hall?.detectFps, 3);
    assert.equal(hall?.kind, "rtsp");
    assert.equal(hall?.origin, "managed");
  });

  test("an entry without a source overrides a bootstrap camera's settings, in any group", () => {
    const e = [
      entry({ id: "gate", name: "Main gate", enabled: false, zone: { x: 0.1, y: 0, width: 0.5, height: 1 } }),
      entry({ id: "nowhere", name: "no such bootstrap camera" }),
    ];
    for (const group of ["default", "off", "site-b"]) {
      const { cameras } = resolveCameras(boot, e, { ...opts, group });
      const gate = cameras.find((c) => c.id === "gate");
      assert.equal(gate?.name, "Main gate");
      assert.equal(gate?.enabled, false);
      assert.equal(gate?.source, "rtsp://admin:pw@10.0.0.5/s", "the source stays the bootstrap one");
      assert.deepEqual(gate?.zone, { x: 0.1, y: 0, width: 0.5, height: 1 });
      assert.equal(gate?.origin, "managed");
      assert.equal(
        cameras.some((c) => c.id === "nowhere"),
        false,
      );
    }
  });

  test("file sources are relative to MANAGED_FILES_DIR and may not leave it", () => {
    const e = [
      entry({ id: "clip", source: "lab/clip.avi", role: "desk", loop: true }),
      entry({ id: "up", source: "../etc/passwd", role: "desk" }),
      entry({ id: "abs", source: "/etc/passwd", role: "desk" }),
      entry({ id: "url", source: "file:///etc/passwd", role: "desk" }),
      entry({ id: "win", source: "C:\\Users\\x.mp4", role: "desk" }),
      entry({ id: "proto", source: "concat:/a|/b", role: "desk" }),
      entry({ id: "rt", source: "rtsp://cam/x", role: "desk", loop: true }),
    ];
    const { cameras, problems } = resolveCameras([], e, opts);
    assert.deepEqual(
      cameras.map((c) => [c.id, c.source, c.loop]),
      [["clip", "/srv/videos/lab/clip.avi", true]],
    );
    const why = Object.fromEntries(problems.map((p) => [p.cameraId, p.message]));
    assert.match(why.up ?? "", /\.\./);
    assert.match(why.abs ?? "", /relative to the camera service's MANAGED_FILES_DIR/);
    assert.match(why.url ?? "", /relative/);
    assert.match(why.win ?? "", /cannot tell the kind|relative/, "a Windows path is refused");
    assert.match(why.proto ?? "", /cannot tell the kind/);
    assert.match(why.rt ?? "", /apply to file sources only/);
  });

  test("a stored entry that does not parse is a problem of its camera, not of the others", () => {
    const bad = parseManagedEntry("cameras.x", "{");
    const wrong = parseManagedEntry("cameras.y", JSON.stringify({ id: "y", source: "rtsp://a/b", role: "kitchen" }));
    const other = parseManagedEntry("cameras.z", JSON.stringify({ id: "w", source: "rtsp://a/b", role: "desk" }));
    const good = parseManagedEntry("cameras.ok", JSON.stringify({ id: "ok", source: "rtsp://a/b", role: "desk" }));
    const { cameras, problems } = resolveCameras([], [bad, wrong, other, good], opts);
    assert.deepEqual(
      cameras.map((c) => c.id),
      ["ok"],
    );
    assert.deepEqual(
      problems.map((p) => p.cameraId),
      ["x", "y", "z"],
    );
    assert.match(problems[1]?.message ?? "", /role/);
    assert.match(problems[2]?.message ?? "", /names camera w/);
  });

  test("a managed entry with a source replaces the bootstrap camera of its id", () => {
    const { cameras } = resolveCameras(boot, [entry({ id: "desk", source: "rtsp://cam/desk2", role: "desk" })], opts);
    const desk = cameras.find((c) => c.id === "desk");
    assert.equal(desk?.source, "rtsp://cam/desk2");
    assert.equal(desk?.loop, false);
    assert.equal(cameras.length, 2);
  });

  test("a zone keeps the faces whose box centre is inside it", () => {
    const frame = { width: 1000, height: 500 };
    const left = squareFace(100, 200, 80);
    const right = squareFace(800, 200, 80);
    assert.equal(inZone([left, right], null, frame).length, 2);
    assert.deepEqual(inZone([left, right], { x: 0, y: 0, width: 0.5, height: 1 }, frame), [left]);
    assert.deepEqual(inZone([left, right], { x: 0.5, y: 0, width: 0.5, height: 1 }, frame), [right]);
    assert.deepEqual(inZone([left, right], { x: 0, y: 0.9, width: 1, height: 0.1 }, frame), []);
  });
});
