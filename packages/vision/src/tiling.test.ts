import assert from "node:assert/strict";
import { test } from "node:test";
import { planLevel, planTiles, spreadOrigins, wholeFrameSuffices } from "./tiling.ts";

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

test("level plan: 1280x720 at 32 px faces is the tiles' 640x360 level, padded to 640x384", () => {
  const p = planLevel({ width: 1280, height: 720, minFaceSize: 32, inputSize: 256 });
  assert.deepEqual(p, { scale: 0.5, levelWidth: 640, levelHeight: 360, inputWidth: 640, inputHeight: 384 });
  const t = planTiles({ width: 1280, height: 720, minFaceSize: 32, inputSize: 256 });
  assert.equal(p.scale, t.scale);
  // never upscaled, never coarser than a whole-frame pass
  assert.equal(planLevel({ width: 300, height: 200, minFaceSize: 8, inputSize: 256 }).scale, 1);
  assert.equal(planLevel({ width: 1280, height: 720, minFaceSize: 500, inputSize: 256 }).scale, 0.2);
  const q = planLevel({ width: 1000, height: 333, minFaceSize: 20, inputSize: 256 });
  assert.deepEqual([q.levelWidth, q.levelHeight, q.inputWidth, q.inputHeight], [800, 266, 800, 288]);
});

test("level plan: the pixel cap shrinks the scale of huge frames", () => {
  const p = planLevel({ width: 3840, height: 2160, minFaceSize: 16, inputSize: 256, maxPixels: 24 * 256 * 256 });
  assert.ok(p.levelWidth * p.levelHeight <= 24 * 256 * 256, `${p.levelWidth}x${p.levelHeight}`);
  assert.ok(p.scale < 1 && p.scale > 0.3);
  assert.equal(p.inputWidth % 32, 0);
  assert.equal(p.inputHeight % 32, 0);
});
