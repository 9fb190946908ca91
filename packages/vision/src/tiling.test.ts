import assert from "node:assert/strict";
import { test } from "node:test";
import { planTiles, spreadOrigins, wholeFrameSuffices } from "./tiling.ts";

test("1280x720 with 32 px faces: six 512 px tiles at scale 0.5 (one 2x box shrink)", () => {
  const plan = planTiles({ width: 1280, height: 720, minFaceSize: 32, inputSize: 256 });
  assert.equal(plan.tileSize, 512);
  assert.equal(plan.scale, 0.5);
  assert.equal(plan.levelWidth, 640);
  assert.equal(plan.levelHeight, 360);
  assert.equal(plan.tiles.length, 6);
  assert.ok(plan.overlap >= 128);
});

test("tile cores partition the frame: every point is owned by exactly one tile", () => {
  for (const [w, h, f] of [
    [1280, 720, 32],
    [1920, 1080, 32],
    [1024, 624, 24],
    [700, 300, 20],
  ] as const) {
    const plan = planTiles({ width: w, height: h, minFaceSize: f, inputSize: 256 });
    for (let y = 0.5; y < h; y += 7) {
      for (let x = 0.5; x < w; x += 7) {
        const owners = plan.tiles.filter((t) => x >= t.core.x0 && x < t.core.x1 && y >= t.core.y0 && y < t.core.y1);
        assert.equal(owners.length, 1, `${w}x${h} point ${x},${y}`);
        const t = owners[0];
        assert.ok(t && x >= t.frame.x0 && x < t.frame.x1 && y >= t.frame.y0 && y < t.frame.y1);
      }
    }
  }
});

test("maxTiles caps the tile count by growing the tiles", () => {
  const plan = planTiles({ width: 4000, height: 3000, minFaceSize: 32, inputSize: 256, maxTiles: 12 });
  assert.ok(plan.tiles.length <= 12);
  assert.ok(plan.tileSize > 512);
});

test("tiles never upscale and a small frame is one tile", () => {
  const plan = planTiles({ width: 200, height: 150, minFaceSize: 8, inputSize: 256 });
  assert.equal(plan.tiles.length, 1);
  assert.ok(plan.scale <= 256 / 200);
});

test("spreadOrigins covers the length with at least the overlap", () => {
  const o = spreadOrigins(640, 256, 64);
  assert.deepEqual(o, [0, 192, 384]);
  assert.deepEqual(spreadOrigins(200, 256, 64), [0]);
});

test("wholeFrameSuffices: 250x250 with 32 px faces yes, 1280x720 no", () => {
  assert.equal(wholeFrameSuffices(250, 250, 32, 256), true);
  assert.equal(wholeFrameSuffices(1280, 720, 32, 256), false);
  assert.equal(wholeFrameSuffices(1280, 720, 80, 256), true);
});
