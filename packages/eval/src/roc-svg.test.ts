import assert from "node:assert/strict";
import { test } from "node:test";
import { rocCurve } from "./metrics.ts";
import { renderRocSvg } from "./roc-svg.ts";

test("renderRocSvg draws one path per series with an escaped legend", () => {
  const c = rocCurve([0.9, 0.8, 0.4, 0.3, 0.2], [true, true, false, true, false]);
  const svg = renderRocSvg(
    [
      { label: "model <a> & b", curve: c },
      { label: "second", curve: c.points },
    ],
    { title: "T", farMin: 1e-3 },
  );
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.equal(svg.match(/<path /g)?.length, 2);
  assert.ok(svg.includes("model &lt;a&gt; &amp; b"));
  assert.ok(svg.includes(">1e-3<") && svg.includes(">1<"));
  assert.ok(!svg.includes("NaN"));
  assert.throws(() => renderRocSvg({ label: "x", curve: c }, { farMin: 0 }), RangeError);
  // linear axis
  assert.ok(renderRocSvg({ label: "x", curve: c }, { logFar: false }).includes(">0.4<"));
});
